import { useEffect, useState, type JSX } from 'react'
import type { SchemaDecodeRequest, SchemaDecodeResult } from '../../../shared/api'
import { getApi } from '../api'
import { DECODERS, decodePayload, type DecodeOutcome, type DecoderId } from '../lib/decoders'
import { formatBytes } from '../lib/format'
import { ruleFor, useTopicInspectorStore } from '../store/topic-inspector-store'
import { HexDump } from './HexDump'
import { JsonTree } from './JsonTree'

export interface DecodedPayloadProps {
  topic: string
  bytes: Uint8Array | null
  /** Only the first part of the payload is here. */
  truncated?: boolean
  totalSize?: number
  loading?: boolean
  onPickNumber?: (path: string) => void
}

async function schema(request: SchemaDecodeRequest): Promise<SchemaDecodeResult> {
  return getApi().call('decodeSchema', request)
}

/** A parent filter to remember a decoder for: "a/b/c" → "a/b/#". */
function defaultFilter(topic: string): string {
  const cut = topic.lastIndexOf('/')
  return cut > 0 ? `${topic.slice(0, cut)}/#` : topic
}

/**
 * One payload through the decoder chosen for its topic (remembered per topic filter). Decoding
 * runs when the message or the decoder changes, for this message only; a payload the decoder
 * cannot read shows why and its hex dump.
 */
export function DecodedPayload({ topic, bytes, truncated, totalSize, loading, onPickNumber }: DecodedPayloadProps): JSX.Element {
  const rules = useTopicInspectorStore((s) => s.rules)
  const rule = ruleFor(rules, topic)
  const [outcome, setOutcome] = useState<DecodeOutcome | null>(null)
  const [messageTypes, setMessageTypes] = useState<string[]>([])
  const [filter, setFilter] = useState(defaultFilter(topic))
  useEffect(() => setFilter(defaultFilter(topic)), [topic])

  useEffect(() => {
    if (bytes === null) {
      setOutcome(null)
      return
    }
    let current = true
    const proto = rule.proto ? { text: rule.proto, messageType: rule.messageType ?? '' } : undefined
    void decodePayload(bytes, rule.decoder, {
      topic,
      proto,
      schema: async (request) => {
        const answer = await schema(request)
        if (current && answer.messageTypes) setMessageTypes(answer.messageTypes)
        return answer
      }
    }).then((result) => {
      if (current) setOutcome(result)
    })
    return () => {
      current = false
    }
  }, [bytes, topic, rule.decoder, rule.proto, rule.messageType])

  const choose = (decoder: DecoderId): void => {
    useTopicInspectorStore.getState().setRule({ ...rule, decoder })
  }
  const remember = (): void => {
    useTopicInspectorStore.getState().setRule({ ...rule, filter: filter.trim() || topic })
  }
  const loadProto = async (file: File): Promise<void> => {
    const text = await file.text()
    useTopicInspectorStore.getState().setRule({ ...rule, decoder: 'protobuf', protoName: file.name, proto: text, messageType: '' })
  }

  return (
    <div className="decoded-payload" data-testid="decoded-payload">
      <div className="payload-toolbar">
        <label className="field-inline">
          Decoder
          <select value={rule.decoder} onChange={(e) => choose(e.target.value as DecoderId)} data-testid="decoder-select">
            {DECODERS.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        {rule.decoder === 'protobuf' && (
          <>
            <label className="small button-like" title="The .proto file that describes this topic's messages">
              {rule.protoName ? `.proto: ${rule.protoName}` : 'Choose .proto…'}
              <input
                type="file"
                accept=".proto,text/plain"
                className="visually-hidden"
                data-testid="proto-file"
                onChange={(e) => {
                  const file = e.target.files?.[0]
                  e.target.value = ''
                  if (file) void loadProto(file)
                }}
              />
            </label>
            <label className="field-inline">
              Message type
              <select
                value={rule.messageType ?? ''}
                onChange={(e) => useTopicInspectorStore.getState().setRule({ ...rule, messageType: e.target.value })}
                data-testid="proto-type"
              >
                <option value="">(first in file)</option>
                {messageTypes.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <label className="field-inline">
          for
          <input
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            size={16}
            aria-label="Topic filter to remember the decoder for"
          />
        </label>
        <button type="button" className="small" onClick={remember}>
          Remember
        </button>
        <span className="muted">
          {bytes ? formatBytes(totalSize ?? bytes.length) : ''}
          {truncated && bytes ? ` (first ${formatBytes(bytes.length)} shown)` : ''}
        </span>
      </div>
      {loading && <p className="muted">Loading the full payload…</p>}
      {outcome && outcome.used !== rule.decoder && !outcome.problem && (
        <p className="muted small-text" data-testid="decoder-used">
          Shown as {DECODERS.find((d) => d.id === outcome.used)?.label ?? outcome.used}
        </p>
      )}
      {outcome?.unpacked && (
        <p className="muted small-text">
          Unpacked from {outcome.unpacked.from}: {formatBytes(outcome.unpacked.bytes)}
        </p>
      )}
      {outcome?.problem && (
        <p className="warning-text" role="status" data-testid="decoder-problem">
          {outcome.problem} — shown as hex
        </p>
      )}
      {bytes && bytes.length === 0 ? (
        <p className="muted">(empty payload)</p>
      ) : (
        <DecodedView outcome={outcome} onPickNumber={onPickNumber} />
      )}
    </div>
  )
}

function DecodedView({ outcome, onPickNumber }: { outcome: DecodeOutcome | null; onPickNumber?: (path: string) => void }): JSX.Element {
  if (outcome === null) return <p className="muted">…</p>
  const result = outcome.result
  if (result.kind === 'tree') return <JsonTree value={result.value} onPickNumber={onPickNumber} />
  if (result.kind === 'hex') return <HexDump bytes={result.bytes} />
  return (
    <>
      {result.invalidBytes > 0 && (
        <p className="warning-text small-text">
          {result.invalidBytes} byte{result.invalidBytes === 1 ? ' is' : 's are'} not UTF-8, shown as \xNN
        </p>
      )}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a long payload scrolls, so the keyboard must reach it */}
      <pre className="payload-text" role="region" tabIndex={0} aria-label="Payload content">
        {result.text}
      </pre>
    </>
  )
}
