/** The BrokerScope version (CLI --version, $SYS/broker/version, the About box). */
export const VERSION = '0.1.0'

declare const __BROKERSCOPE_BUILD__: string | undefined

/** Which build this is: "<commit> <date>" stamped by electron.vite.config.ts; "dev" when run from source. */
export const BUILD: string = typeof __BROKERSCOPE_BUILD__ === 'string' ? __BROKERSCOPE_BUILD__ : 'dev'
