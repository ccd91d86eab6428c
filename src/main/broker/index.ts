export { Broker, type BrokerOptions } from './broker'
export type { SessionStore } from './session/session-store'
export type { RetainedStore } from './retained/retained-store'
