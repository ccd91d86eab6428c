/** The BrokerScope version (CLI --version, $SYS/broker/version, the About box). */
export const VERSION = '0.1.0'
