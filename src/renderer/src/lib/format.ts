/** Small display formatters shared by the views. */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

export function formatCount(value: number): string {
  return integer.format(value)
}

/** A rate: one decimal below 10, whole numbers above. */
export function formatRate(value: number): string {
  return value < 10 ? oneDecimal.format(value) : integer.format(value)
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? integer.format(value) : oneDecimal.format(value)} ${units[unit]}`
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** HH:MM:SS.mmm in local time. */
export function formatClock(time: number): string {
  const d = new Date(time)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

/** YYYY-MM-DD HH:MM:SS in local time. */
export function formatDateTime(time: number): string {
  const d = new Date(time)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** HH:MM:SS when `time` is today, else MM-DD HH:MM: short enough for a table cell. */
export function formatShortTime(time: number, now: number): string {
  const d = new Date(time)
  const n = new Date(now)
  if (d.toDateString() === n.toDateString()) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** A duration in the largest two units: "3d 4h", "5m 12s", "42s". */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000))
  const days = Math.floor(seconds / 86400)
  seconds -= days * 86400
  const hours = Math.floor(seconds / 3600)
  seconds -= hours * 3600
  const minutes = Math.floor(seconds / 60)
  seconds -= minutes * 60
  if (days > 0) return `${days}d ${hours}h`
  if (hours > 0) return `${hours}h ${minutes}m`
  if (minutes > 0) return `${minutes}m ${seconds}s`
  return `${seconds}s`
}

/** "12s ago" style, relative to `now`. */
export function formatAgo(time: number, now: number): string {
  return `${formatDuration(now - time)} ago`
}

/** Session expiry interval in seconds as people read it (0xFFFFFFFF never expires). */
export function formatExpiry(seconds: number): string {
  if (seconds === 0) return 'at disconnect'
  if (seconds >= 4294967295) return 'never'
  return formatDuration(seconds * 1000)
}

export function formatListenerAddress(listener: { name: string; host: string; port: number }, wsPath?: string): string {
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host
  if (listener.name === 'ws') return `ws://${host}:${listener.port}${wsPath ?? ''}`
  if (listener.name === 'wss') return `wss://${host}:${listener.port}${wsPath ?? ''}`
  if (listener.name === 'tls') return `mqtts://${host}:${listener.port}`
  if (listener.name === 'unix') return `unix:${listener.host}`
  return `mqtt://${host}:${listener.port}`
}

/** 'tcp' → 'TCP', 'wss' → 'Secure WebSocket'; `short` for the header ('WS', 'WSS'). */
export function listenerLabel(name: string, short = false): string {
  switch (name) {
    case 'tcp':
      return 'TCP'
    case 'ws':
      return short ? 'WS' : 'WebSocket'
    case 'tls':
      return 'TLS'
    case 'wss':
      return short ? 'WSS' : 'Secure WebSocket'
    case 'unix':
      return short ? 'Unix' : 'Unix socket'
    default:
      return name
  }
}
