import { useEffect, useState, type JSX } from 'react'
import type { PublishCommand } from '../../../../shared/api'
import type { QoS } from '../../../../shared/broker-types'
import { formatClock, formatCount } from '../../lib/format'
import { bytesToBase64, prettyJson, previewPayload, utf8ToBase64 } from '../../lib/payload'
import type { PayloadEncoding } from '../../lib/publish-form'
import { usePublishStore } from '../../store/publish-store'

function commandPreview(command: PublishCommand): string {
  const base64 = command.payloadEncoding === 'base64' ? command.payload : utf8ToBase64(command.payload)
  const p = previewPayload(base64, 60)
  return p.kind === 'empty' ? '(empty)' : p.text
}

function FieldError({ id, text }: { id: string; text?: string }): JSX.Element | null {
  if (!text) return null
  return (
    <span className="field-error" id={id} role="alert">
      {text}
    </span>
  )
}

/** A payload file is read into the form as base64: keep it to what a message sensibly carries. */
const MAX_FILE_BYTES = 16 * 1024 * 1024

export function PublishView(): JSX.Element {
  const form = usePublishStore((s) => s.form)
  const errors = usePublishStore((s) => s.errors)
  const busy = usePublishStore((s) => s.busy)
  const result = usePublishStore((s) => s.result)
  const history = usePublishStore((s) => s.history)
  const saved = usePublishStore((s) => s.saved)
  const savedError = usePublishStore((s) => s.savedError)
  const { setForm, publish, resend, loadCommand, clearHistory, loadSaved, save, deleteSaved } = usePublishStore.getState()
  const [jsonNote, setJsonNote] = useState<{ ok: boolean; text: string } | null>(null)
  const [saveName, setSaveName] = useState('')
  const v5Errors = Boolean(errors.messageExpiry || errors.responseTopic || errors.userProperties)
  const [v5Open, setV5Open] = useState(false)
  const v5Count =
    (form.contentType ? 1 : 0) +
    (form.payloadFormat ? 1 : 0) +
    (form.messageExpiry ? 1 : 0) +
    (form.responseTopic ? 1 : 0) +
    (form.correlationData ? 1 : 0) +
    form.userProperties.length
  // A property with an error must be visible.
  useEffect(() => {
    if (v5Errors) setV5Open(true)
  }, [v5Errors])

  useEffect(() => {
    void loadSaved()
  }, [loadSaved])

  // Ctrl+Enter (Cmd+Enter on macOS) publishes from anywhere in this view.
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.defaultPrevented) {
        event.preventDefault()
        void publish()
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [publish])

  const loadPayloadFile = async (file: File): Promise<void> => {
    if (file.size > MAX_FILE_BYTES) {
      setJsonNote({ ok: false, text: `${file.name} is larger than ${formatCount(MAX_FILE_BYTES)} bytes` })
      return
    }
    const bytes = new Uint8Array(await file.arrayBuffer())
    setForm({ payload: bytesToBase64(bytes), payloadEncoding: 'base64' })
    setJsonNote({ ok: true, text: `Loaded ${file.name} (${formatCount(bytes.length)} bytes) as base64` })
  }

  const checkJson = (format: boolean): void => {
    const parsed = prettyJson(form.payload)
    if (!parsed.ok) {
      setJsonNote({ ok: false, text: `Not valid JSON: ${parsed.error}` })
      return
    }
    if (format) setForm({ payload: parsed.text })
    setJsonNote({ ok: true, text: format ? 'Formatted' : 'Valid JSON' })
  }

  const updateUserProperty = (index: number, patch: Partial<{ key: string; value: string }>): void => {
    setForm({ userProperties: form.userProperties.map((p, i) => (i === index ? { ...p, ...patch } : p)) })
  }

  return (
    <div className="view publish-view">
      <div className="view-header">
        <h1>Publish</h1>
        <span className="muted">Sent by the broker itself, as if from a client. Ctrl+Enter publishes.</span>
      </div>
      <div className="publish-layout">
        <form
          className="publish-form panel"
          aria-label="Publish a message"
          onSubmit={(event) => {
            event.preventDefault()
            void publish()
          }}
        >
          <div className="field">
            <label htmlFor="publish-topic">Topic</label>
            <input
              id="publish-topic"
              className="mono"
              value={form.topic}
              onChange={(e) => setForm({ topic: e.target.value })}
              placeholder="sensors/kitchen/temperature"
              aria-invalid={Boolean(errors.topic)}
              aria-describedby={errors.topic ? 'publish-topic-error' : undefined}
              autoComplete="off"
              spellCheck={false}
            />
            <FieldError id="publish-topic-error" text={errors.topic} />
          </div>
          <div className="field">
            <div className="label-row">
              <label htmlFor="publish-payload">Payload</label>
              <span className="toolbar-spacer" />
              <label className="small button-like" title="Send a file's bytes as the payload (base64 in the box)">
                Load file…
                <input
                  type="file"
                  className="visually-hidden"
                  data-testid="publish-file"
                  onChange={(e) => {
                    const file = e.target.files?.[0]
                    e.target.value = ''
                    if (file) void loadPayloadFile(file)
                  }}
                />
              </label>
              <button type="button" className="small" onClick={() => checkJson(false)}>
                Validate JSON
              </button>
              <button type="button" className="small" onClick={() => checkJson(true)}>
                Format JSON
              </button>
            </div>
            <textarea
              id="publish-payload"
              className="mono"
              rows={9}
              value={form.payload}
              onChange={(e) => {
                setJsonNote(null)
                setForm({ payload: e.target.value })
              }}
              placeholder='{"temperature": 21.5}'
              aria-invalid={Boolean(errors.payload)}
              aria-describedby={errors.payload ? 'publish-payload-error' : undefined}
              spellCheck={false}
            />
            <FieldError id="publish-payload-error" text={errors.payload} />
            {jsonNote && (
              <span className={jsonNote.ok ? 'ok-text' : 'field-error'} role="status" data-testid="json-note">
                {jsonNote.text}
              </span>
            )}
          </div>
          <div className="field-row">
            <div className="field">
              <label htmlFor="publish-qos">QoS</label>
              <select id="publish-qos" value={form.qos} onChange={(e) => setForm({ qos: Number(e.target.value) as QoS })}>
                <option value={0}>0 – at most once</option>
                <option value={1}>1 – at least once</option>
                <option value={2}>2 – exactly once</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor="publish-encoding" title="How the payload box is read: as text, or as base64-encoded bytes">
                Encoding
              </label>
              <select
                id="publish-encoding"
                value={form.payloadEncoding}
                onChange={(e) => setForm({ payloadEncoding: e.target.value as PayloadEncoding })}
              >
                <option value="utf8">Text (UTF-8)</option>
                <option value="hex">Hex (binary)</option>
                <option value="base64">Base64 (binary)</option>
              </select>
            </div>
            <div className="field checkbox-field">
              <label>
                <input type="checkbox" checked={form.retain} onChange={(e) => setForm({ retain: e.target.checked })} />
                Retain
              </label>
            </div>
          </div>

          <details className="v5-properties" open={v5Open} onToggle={(event) => setV5Open(event.currentTarget.open)}>
            <summary>MQTT 5 properties{v5Count > 0 ? ` (${v5Count} set)` : ''}</summary>
            {/* Rendered only while open, so the form's labels stay unambiguous ("Topic", "Payload"). */}
            {v5Open && (
              <>
                <div className="field-row">
                  <div className="field">
                    <label htmlFor="publish-content-type">Content type</label>
                    <input
                      id="publish-content-type"
                      value={form.contentType}
                      onChange={(e) => setForm({ contentType: e.target.value })}
                      placeholder="application/json"
                    />
                  </div>
                  <div className="field">
                    <label htmlFor="publish-format" title="MQTT 5 Payload Format Indicator">
                      Format indicator
                    </label>
                    <select
                      id="publish-format"
                      value={form.payloadFormat}
                      onChange={(e) => setForm({ payloadFormat: e.target.value as typeof form.payloadFormat })}
                    >
                      <option value="">not set</option>
                      <option value="bytes">0 – unspecified bytes</option>
                      <option value="utf8">1 – UTF-8 text</option>
                    </select>
                  </div>
                  <div className="field">
                    <label htmlFor="publish-expiry">Message expiry (s)</label>
                    <input
                      id="publish-expiry"
                      inputMode="numeric"
                      value={form.messageExpiry}
                      onChange={(e) => setForm({ messageExpiry: e.target.value })}
                      placeholder="none"
                      aria-invalid={Boolean(errors.messageExpiry)}
                      aria-describedby={errors.messageExpiry ? 'publish-expiry-error' : undefined}
                      size={10}
                    />
                    <FieldError id="publish-expiry-error" text={errors.messageExpiry} />
                  </div>
                </div>
                <div className="field-row">
                  <div className="field grow">
                    <label htmlFor="publish-response-topic">Response topic</label>
                    <input
                      id="publish-response-topic"
                      className="mono"
                      value={form.responseTopic}
                      onChange={(e) => setForm({ responseTopic: e.target.value })}
                      aria-invalid={Boolean(errors.responseTopic)}
                      aria-describedby={errors.responseTopic ? 'publish-response-error' : undefined}
                    />
                    <FieldError id="publish-response-error" text={errors.responseTopic} />
                  </div>
                  <div className="field grow">
                    <label htmlFor="publish-correlation">Correlation data</label>
                    <input
                      id="publish-correlation"
                      className="mono"
                      value={form.correlationData}
                      onChange={(e) => setForm({ correlationData: e.target.value })}
                      placeholder="text, sent as bytes"
                    />
                  </div>
                </div>
                <fieldset className="user-properties">
                  <legend>User properties</legend>
                  {form.userProperties.map((p, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their position (keys may be empty or repeat)
                    <div className="field-row" key={i}>
                      <input
                        aria-label={`User property ${i + 1} key`}
                        placeholder="key"
                        value={p.key}
                        onChange={(e) => updateUserProperty(i, { key: e.target.value })}
                      />
                      <input
                        aria-label={`User property ${i + 1} value`}
                        placeholder="value"
                        value={p.value}
                        onChange={(e) => updateUserProperty(i, { value: e.target.value })}
                      />
                      <button
                        type="button"
                        className="small"
                        aria-label={`Remove user property ${i + 1}`}
                        onClick={() => setForm({ userProperties: form.userProperties.filter((_, j) => j !== i) })}
                      >
                        Remove
                      </button>
                    </div>
                  ))}
                  <button
                    type="button"
                    className="small"
                    onClick={() => setForm({ userProperties: [...form.userProperties, { key: '', value: '' }] })}
                  >
                    Add user property
                  </button>
                  <FieldError id="publish-user-properties-error" text={errors.userProperties} />
                </fieldset>
              </>
            )}
          </details>

          <div className="button-row">
            <button type="submit" className="primary" disabled={busy} aria-keyshortcuts="Control+Enter" data-testid="publish-submit">
              Publish
            </button>
            {result && (
              <span className={result.ok ? 'ok-text' : 'field-error'} role="status" data-testid="publish-result">
                {result.text}
              </span>
            )}
          </div>
        </form>

        <div className="publish-side">
          <section className="panel" aria-labelledby="saved-title">
            <h2 id="saved-title">Saved messages</h2>
            <form
              className="field-row"
              onSubmit={(event) => {
                event.preventDefault()
                void save(saveName).then((ok) => ok && setSaveName(''))
              }}
            >
              <label className="field-inline grow">
                Name
                <input
                  value={saveName}
                  onChange={(e) => setSaveName(e.target.value)}
                  placeholder="e.g. kitchen temp 21.5"
                  maxLength={200}
                />
              </label>
              <button type="submit" className="small">
                Save
              </button>
            </form>
            {savedError && (
              <p className="field-error" role="alert">
                {savedError}
              </p>
            )}
            {saved.length === 0 ? (
              <p className="muted">Nothing saved yet. Saved messages are kept across restarts.</p>
            ) : (
              <ul className="message-list" aria-label="Saved messages" data-testid="saved-list">
                {saved.map((m) => (
                  <li key={m.name}>
                    <div className="message-summary">
                      <strong className="ellipsis">{m.name}</strong>
                      <span className="mono ellipsis muted">
                        {m.topic} · QoS {m.qos}
                        {m.retain ? ' · retain' : ''}
                      </span>
                    </div>
                    <button type="button" className="small" onClick={() => loadCommand(m)} title={`Load “${m.name}” into the form`}>
                      Load
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      onClick={() => void deleteSaved(m.name)}
                      title={`Delete “${m.name}”`}
                      data-testid="delete-saved"
                    >
                      Delete
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="panel" aria-labelledby="history-title">
            <div className="label-row">
              <h2 id="history-title">History</h2>
              <span className="muted">last {formatCount(history.length)}</span>
              <span className="toolbar-spacer" />
              {history.length > 0 && (
                <button type="button" className="small" onClick={clearHistory}>
                  Clear history
                </button>
              )}
            </div>
            {history.length === 0 ? (
              <p className="muted">Messages you publish appear here.</p>
            ) : (
              <ul className="message-list" aria-label="Publish history" data-testid="history-list">
                {history.map((h) => (
                  <li key={`${h.time}-${h.command.topic}`}>
                    <button
                      type="button"
                      className="message-summary link-like"
                      onClick={() => loadCommand(h.command)}
                      title="Load into the form"
                    >
                      <span className="mono ellipsis">{h.command.topic}</span>
                      <span className="mono ellipsis muted">
                        {formatClock(h.time)} · QoS {h.command.qos}
                        {h.command.retain ? ' · retain' : ''} · {commandPreview(h.command)}
                      </span>
                    </button>
                    <button type="button" className="small" onClick={() => void resend(h.command)} disabled={busy}>
                      Resend
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
    </div>
  )
}
