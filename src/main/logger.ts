import type { LogLevel } from '../shared/settings'

export interface Logger {
  error(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  info(message: string, ...details: unknown[]): void
  debug(message: string, ...details: unknown[]): void
  setLevel(level: LogLevel): void
  isEnabled(level: LogLevel): boolean
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export type LogSink = (line: string) => void

/** A leveled logger writing one timestamped line per entry (stdout by default). */
export function createLogger(level: LogLevel, sink: LogSink = (line) => process.stdout.write(line + '\n')): Logger {
  let threshold = RANK[level]
  const write = (at: LogLevel, message: string, details: unknown[]): void => {
    if (RANK[at] > threshold) return
    const extra = details.length ? ' ' + details.map(formatDetail).join(' ') : ''
    sink(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${message}${extra}`)
  }
  return {
    error: (m, ...d) => write('error', m, d),
    warn: (m, ...d) => write('warn', m, d),
    info: (m, ...d) => write('info', m, d),
    debug: (m, ...d) => write('debug', m, d),
    setLevel: (next) => {
      threshold = RANK[next]
    },
    isEnabled: (at) => RANK[at] <= threshold
  }
}

function formatDetail(detail: unknown): string {
  if (detail instanceof Error) return detail.message
  if (typeof detail === 'string') return detail
  try {
    return JSON.stringify(detail)
  } catch {
    return String(detail)
  }
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger('error', () => {})
