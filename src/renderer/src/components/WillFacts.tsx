import type { JSX } from 'react'
import type { JsonMessageProperties } from '../../../shared/api'
import { formatBytes } from '../lib/format'
import { base64ToBytesSafe, previewPayload } from '../lib/payload'
import { PropertiesList } from './PropertiesList'

export interface WillView {
  topic: string
  qos: number
  retain: boolean
  size: number
  /** The first bytes of the payload, base64. */
  preview: string
  /** Will Delay Interval (s), when known. */
  delaySeconds?: number
  properties: JsonMessageProperties | Record<string, unknown>
}

/** A will: where it goes, how, what it says, and when (the client panel and a CONNECT's details). */
export function WillFacts({ will }: { will: WillView }): JSX.Element {
  const bytes = base64ToBytesSafe(will.preview)
  const payload = previewPayload(will.preview, 400, bytes !== null && will.size > bytes.length)
  const { willDelayInterval, ...properties } = will.properties as Record<string, unknown>
  const delay = will.delaySeconds ?? (typeof willDelayInterval === 'number' ? willDelayInterval : 0)
  return (
    <div data-testid="will">
      <dl className="facts">
        <div className="fact-row">
          <dt>Topic</dt>
          <dd className="mono">{will.topic}</dd>
        </div>
        <div className="fact-row">
          <dt>Payload</dt>
          <dd className={`mono ${payload.kind === 'hex' ? 'hex' : ''}`}>
            {payload.kind === 'empty' ? '(empty)' : payload.text} <span className="muted">({formatBytes(will.size)})</span>
          </dd>
        </div>
        <div className="fact-row">
          <dt>QoS · retain</dt>
          <dd>
            {will.qos} · {will.retain ? 'retained' : 'not retained'}
          </dd>
        </div>
        <div className="fact-row">
          <dt>Delay</dt>
          <dd>{delay === 0 ? 'none: sent as soon as the connection is lost' : `${delay} s after the connection is lost`}</dd>
        </div>
      </dl>
      <PropertiesList properties={properties} />
    </div>
  )
}
