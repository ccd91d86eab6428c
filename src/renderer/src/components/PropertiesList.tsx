import type { JSX } from 'react'
import type { JsonMessageProperties } from '../../../shared/api'
import { base64ToBytesSafe, bytesAsText, toHex } from '../lib/payload'

function correlation(base64: string): string {
  const bytes = base64ToBytesSafe(base64)
  if (!bytes) return base64
  return bytesAsText(bytes) ?? `0x${toHex(bytes, '')}`
}

/** MQTT 5 message properties as a definition list; nothing when there are none. */
export function PropertiesList({
  properties
}: {
  properties: JsonMessageProperties | Record<string, unknown> | undefined
}): JSX.Element | null {
  if (!properties || Object.keys(properties).length === 0) return null
  const p = properties as JsonMessageProperties & Record<string, unknown>
  const rows: [string, string][] = []
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined) continue
    switch (key) {
      case 'payloadFormatIndicator':
        rows.push(['Payload format', value === true || value === 1 ? 'UTF-8 text (1)' : 'bytes (0)'])
        break
      case 'messageExpiryInterval':
        rows.push(['Message expiry', `${String(value)} s`])
        break
      case 'contentType':
        rows.push(['Content type', String(value)])
        break
      case 'responseTopic':
        rows.push(['Response topic', String(value)])
        break
      case 'correlationData':
        rows.push(['Correlation data', typeof value === 'string' ? correlation(value) : JSON.stringify(value)])
        break
      case 'userProperties':
        for (const [name, v] of Object.entries((value ?? {}) as Record<string, string | string[]>)) {
          for (const item of Array.isArray(v) ? v : [v]) rows.push([`User property “${name}”`, item])
        }
        break
      default:
        rows.push([key, typeof value === 'string' ? value : JSON.stringify(value)])
    }
  }
  return (
    <dl className="facts" aria-label="Properties">
      {rows.map(([k, v], i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: user property keys may repeat; the list is rebuilt whole
        <div key={`${k}-${i}`} className="fact-row">
          <dt>{k}</dt>
          <dd className="mono">{v}</dd>
        </div>
      ))}
    </dl>
  )
}
