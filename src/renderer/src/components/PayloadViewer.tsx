import { useEffect, useMemo, useState, type JSX } from 'react'
import { bytesAsText, defaultPayloadMode, formatPayload, hexDump, type PayloadMode } from '../lib/payload'
import { formatBytes } from '../lib/format'
import { HexDump } from './HexDump'

export interface PayloadViewerProps {
  bytes: Uint8Array | null
  /** The bytes are only the first part of the payload. */
  truncated?: boolean
  /** Size of the whole payload, when known. */
  totalSize?: number
  loading?: boolean
  note?: string | null
  /** Used to tell viewers apart in tests ("retained-payload", "traffic-payload"…). */
  testId?: string
}

const MODES: { mode: PayloadMode; label: string }[] = [
  { mode: 'text', label: 'Text' },
  { mode: 'json', label: 'JSON' },
  { mode: 'hex', label: 'Hex' }
]

/** A payload as text, pretty JSON or a hex dump, with the mode picked for the content by default. */
export function PayloadViewer({ bytes, truncated = false, totalSize, loading, note, testId }: PayloadViewerProps): JSX.Element {
  const suggested = useMemo(() => (bytes ? defaultPayloadMode(bytes, truncated) : 'text'), [bytes, truncated])
  const [mode, setMode] = useState<PayloadMode>(suggested)
  useEffect(() => setMode(suggested), [suggested])
  // Hex (asked for, or the fallback for bytes that are not text) is drawn line by line by HexDump;
  // its whole text is built only to copy it.
  const asHex = bytes !== null && (mode === 'hex' || bytesAsText(bytes, truncated) === null)
  const formatted = useMemo(
    () =>
      bytes === null
        ? null
        : asHex
          ? { text: '', problem: mode === 'hex' ? undefined : 'not printable UTF-8 text; shown as hex' }
          : formatPayload(bytes, mode, truncated),
    [bytes, mode, truncated, asHex]
  )
  const [copied, setCopied] = useState(false)

  const copy = (): void => {
    if (!formatted || !bytes) return
    void navigator.clipboard?.writeText(asHex ? hexDump(bytes) : formatted.text).then(
      () => {
        setCopied(true)
        setTimeout(() => setCopied(false), 1200)
      },
      () => undefined
    )
  }

  return (
    <div className="payload-viewer" data-testid={testId}>
      <div className="payload-toolbar">
        <div className="segmented" role="group" aria-label="Payload format">
          {MODES.map(({ mode: m, label }) => (
            <button key={m} type="button" aria-pressed={mode === m} onClick={() => setMode(m)}>
              {label}
            </button>
          ))}
        </div>
        <span className="muted">
          {bytes ? formatBytes(totalSize ?? bytes.length) : ''}
          {truncated && bytes ? ` (first ${formatBytes(bytes.length)} shown)` : ''}
        </span>
        <button type="button" className="small" onClick={copy} disabled={!formatted}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      {loading && <p className="muted">Loading the full payload…</p>}
      {note && <p className="muted">{note}</p>}
      {formatted?.problem && <p className="warning-text">{formatted.problem}</p>}
      {bytes && bytes.length === 0 ? (
        <p className="muted">(empty payload)</p>
      ) : bytes && asHex ? (
        <HexDump bytes={bytes} />
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a long payload scrolls, so the keyboard must reach it
        <pre className="payload-text" role="region" tabIndex={0} aria-label="Payload content">
          {formatted?.text ?? ''}
        </pre>
      )}
    </div>
  )
}
