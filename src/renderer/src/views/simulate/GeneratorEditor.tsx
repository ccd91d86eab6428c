import { useEffect, useState, type JSX } from 'react'
import type { QoS } from '../../../../shared/broker-types'
import type { GeneratorPreview } from '../../../../shared/tools-api'
import { getApi } from '../../api'
import { buildGeneratorSpec, type GeneratorForm, type GeneratorFormErrors } from './generator-form'
import { errorText } from './tools-store'

interface Props {
  form: GeneratorForm
  onChange(patch: Partial<GeneratorForm>): void
  onStart(): void
  onSave(): void
  busy: boolean
}

const TEMPLATE_HELP =
  '{{counter}} {{timestamp}} {{timestamp "iso"}} {{random 20.0 25.0}} {{randomInt 0 100}} {{pick "on" "off"}} {{uuid}} {{device}} {{sine 10 20 60}} {{walk 18.0 26.0 0.3}}'

/** The generator form with a live preview of the next three messages (rendered by the main side). */
export function GeneratorEditor({ form, onChange, onStart, onSave, busy }: Props): JSX.Element {
  const [preview, setPreview] = useState<GeneratorPreview | null>(null)
  const [errors, setErrors] = useState<GeneratorFormErrors>({})
  const [v5Open, setV5Open] = useState(false)

  // The preview follows the form, a moment after typing stops.
  useEffect(() => {
    const built = buildGeneratorSpec(form)
    setErrors(built.ok ? {} : built.errors)
    if (!built.ok) {
      setPreview(null)
      return
    }
    let current = true
    const timer = setTimeout(() => {
      getApi()
        .call('previewGenerator', built.spec)
        .then(
          (result) => current && setPreview(result),
          (error: unknown) => current && setPreview({ ok: false, problems: [{ field: '', message: errorText(error) }] })
        )
    }, 250)
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [form])

  const problems = preview && !preview.ok ? preview.problems : []
  const problemOf = (field: string): string | undefined => problems.find((p) => p.field === field)?.message
  const canStart = Object.keys(errors).length === 0 && preview?.ok === true

  return (
    <form
      className="panel generator-editor"
      aria-label="Generator"
      onSubmit={(event) => {
        event.preventDefault()
        if (canStart) onStart()
      }}
    >
      <div className="field-row">
        <div className="field grow">
          <label htmlFor="gen-name">Name</label>
          <input
            id="gen-name"
            value={form.name}
            onChange={(e) => onChange({ name: e.target.value })}
            maxLength={100}
            aria-invalid={Boolean(errors.name)}
          />
          <FieldError text={errors.name} />
        </div>
        <div className="field">
          <label htmlFor="gen-devices">Devices</label>
          <input
            id="gen-devices"
            inputMode="numeric"
            size={6}
            value={form.devices}
            onChange={(e) => onChange({ devices: e.target.value })}
            aria-invalid={Boolean(errors.devices || problemOf('devices'))}
          />
          <FieldError text={errors.devices ?? problemOf('devices')} />
        </div>
      </div>
      <div className="field">
        <label htmlFor="gen-topic">Topic template</label>
        <input
          id="gen-topic"
          className="mono"
          value={form.topic}
          onChange={(e) => onChange({ topic: e.target.value })}
          spellCheck={false}
          aria-invalid={Boolean(problemOf('topic'))}
        />
        <FieldError id="gen-topic-error" text={problemOf('topic')} />
      </div>
      <div className="field">
        <label htmlFor="gen-payload">Payload template</label>
        <textarea
          id="gen-payload"
          className="mono"
          rows={5}
          value={form.payload}
          onChange={(e) => onChange({ payload: e.target.value })}
          spellCheck={false}
          aria-invalid={Boolean(problemOf('payload'))}
        />
        <FieldError id="gen-payload-error" text={problemOf('payload')} />
        <span className="muted small-text mono">{TEMPLATE_HELP}</span>
      </div>
      <div className="field-row">
        <div className="field">
          <label htmlFor="gen-qos">QoS</label>
          <select id="gen-qos" value={form.qos} onChange={(e) => onChange({ qos: Number(e.target.value) as QoS })}>
            <option value={0}>0</option>
            <option value={1}>1</option>
            <option value={2}>2</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="gen-pace-kind">Pace</label>
          <select
            id="gen-pace-kind"
            value={form.paceKind}
            onChange={(e) => onChange({ paceKind: e.target.value as GeneratorForm['paceKind'] })}
          >
            <option value="interval">every … ms, each device</option>
            <option value="rate">… msg/s, all devices</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="gen-pace">{form.paceKind === 'interval' ? 'Interval (ms)' : 'Rate (msg/s)'}</label>
          <input
            id="gen-pace"
            inputMode="decimal"
            size={7}
            value={form.paceValue}
            onChange={(e) => onChange({ paceValue: e.target.value })}
            aria-invalid={Boolean(errors.pace)}
          />
          <FieldError text={errors.pace ?? problemOf('pace')} />
        </div>
        <div className="field">
          <label htmlFor="gen-stop-kind">Stop</label>
          <select
            id="gen-stop-kind"
            value={form.stopKind}
            onChange={(e) => onChange({ stopKind: e.target.value as GeneratorForm['stopKind'] })}
          >
            <option value="forever">never (until stopped)</option>
            <option value="count">after … messages per device</option>
            <option value="duration">after … seconds</option>
          </select>
        </div>
        {form.stopKind !== 'forever' && (
          <div className="field">
            <label htmlFor="gen-stop">{form.stopKind === 'count' ? 'Messages' : 'Seconds'}</label>
            <input
              id="gen-stop"
              inputMode="decimal"
              size={7}
              value={form.stopValue}
              onChange={(e) => onChange({ stopValue: e.target.value })}
              aria-invalid={Boolean(errors.stop)}
            />
            <FieldError text={errors.stop ?? problemOf('stop')} />
          </div>
        )}
        <div className="field">
          <label htmlFor="gen-version">MQTT</label>
          <select
            id="gen-version"
            value={form.protocolVersion}
            onChange={(e) => onChange({ protocolVersion: Number(e.target.value) as 4 | 5 })}
          >
            <option value={5}>5.0</option>
            <option value={4}>3.1.1</option>
          </select>
        </div>
        <div className="field checkbox-field">
          <label>
            <input type="checkbox" checked={form.retain} onChange={(e) => onChange({ retain: e.target.checked })} />
            Retain
          </label>
        </div>
      </div>

      <details className="v5-properties" open={v5Open} onToggle={(event) => setV5Open(event.currentTarget.open)}>
        <summary>MQTT 5 properties</summary>
        {v5Open && (
          <div className="field-row">
            <div className="field">
              <label htmlFor="gen-content-type">Content type</label>
              <input
                id="gen-content-type"
                value={form.contentType}
                onChange={(e) => onChange({ contentType: e.target.value })}
                placeholder="application/json"
              />
            </div>
            <div className="field">
              <label htmlFor="gen-expiry">Message expiry (s)</label>
              <input
                id="gen-expiry"
                inputMode="numeric"
                size={8}
                value={form.messageExpiry}
                onChange={(e) => onChange({ messageExpiry: e.target.value })}
                placeholder="none"
              />
            </div>
            <div className="field grow">
              <label htmlFor="gen-user-props">User properties (key=value, one a line)</label>
              <textarea
                id="gen-user-props"
                className="mono"
                rows={2}
                value={form.userProperties.map((p) => `${p.key}=${p.value}`).join('\n')}
                onChange={(e) =>
                  onChange({
                    userProperties: e.target.value
                      .split('\n')
                      .filter((line) => line.trim() !== '')
                      .map((line) => {
                        const eq = line.indexOf('=')
                        return eq < 0 ? { key: line, value: '' } : { key: line.slice(0, eq), value: line.slice(eq + 1) }
                      })
                  })
                }
              />
            </div>
          </div>
        )}
        <FieldError text={errors.properties ?? problemOf('properties')} />
      </details>

      <section className="generator-preview" aria-label="Preview" data-testid="generator-preview">
        <h3>Next three messages</h3>
        {preview?.ok ? (
          <ol className="plain-list">
            {preview.messages.map((m, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list of three previews
              <li key={i} className="mono small-text">
                <span className="muted">{m.topic}</span> {m.payload}
              </li>
            ))}
          </ol>
        ) : problems.length > 0 ? (
          <ul className="plain-list" data-testid="generator-problems">
            {problems.map((p) => (
              <li key={`${p.field}-${p.message}`} className="field-error" role="alert">
                {p.message}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">Fix the fields above to see a preview.</p>
        )}
      </section>

      <div className="button-row">
        <button type="submit" className="primary" disabled={!canStart || busy} data-testid="generator-start">
          Start
        </button>
        <button type="button" onClick={onSave} disabled={!canStart || busy}>
          Save
        </button>
      </div>
    </form>
  )
}

function FieldError({ text, id }: { text?: string; id?: string }): JSX.Element | null {
  if (!text) return null
  return (
    <span className="field-error" id={id} role="alert">
      {text}
    </span>
  )
}
