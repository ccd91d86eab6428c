import type { FastifyInstance } from 'fastify'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
import type { BrokerMetrics } from './prometheus'

/** What every route module gets. */
export interface ApiContext {
  broker: BrokerControl
  metrics: BrokerMetrics
  logger: Logger
}

/** A route module: registers its routes (with their schemas) on the /api/v5 scope. */
export type RouteModule = (app: FastifyInstance, context: ApiContext) => void

/** An error answer in EMQX's shape. */
export function apiError(code: string, message: string): { code: string; message: string } {
  return { code, message }
}
