import { useMemo, useState, type JSX } from 'react'
import { APPLIES_TEXT, SETTING_APPLIES, SETTING_FIELDS, type SettingApplies } from '../../../../shared/settings'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { formatListenerAddress, listenerLabel } from '../../lib/format'
import {
  checkDrafts,
  API_KEYS,
  FEATURE_KEYS,
  fieldMessage,
  LISTENER_KEYS,
  settingLabel,
  toDraft,
  type DraftValue,
  type SettingKey
} from '../../lib/settings-form'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import { DesktopSection } from './DesktopSection'

type Drafts = Partial<Record<SettingKey, DraftValue>>
type Errors = Partial<Record<string, string>>

interface FieldProps {
  name: SettingKey
  value: DraftValue
  dirty: boolean
  error?: string
  onChange(value: DraftValue): void
}

/** Short labels for the badge next to each setting (APPLIES_TEXT says it in full). */
const APPLIES_LABEL: Record<SettingApplies, string> = {
  live: 'live',
  'new-connections': 'new connections only',
  'listener-restart': 'restarts listeners',
  'new-runs': 'next recording / simulation',
  'next-start': 'at next start'
}

/** What applying `keys` means beyond "applied": the changes that are not simply live, in words. */
export function appliesNote(keys: readonly SettingKey[]): string {
  const groups = new Map<SettingApplies, string[]>()
  for (const key of keys) {
    const applies = SETTING_APPLIES[key]
    if (applies === 'live') continue
    groups.set(applies, [...(groups.get(applies) ?? []), settingLabel(key)])
  }
  return [...groups].map(([applies, labels]) => `${labels.join(', ')}: ${APPLIES_TEXT[applies]}.`).join(' ')
}

function SettingField({ name, value, dirty, error, onChange }: FieldProps): JSX.Element {
  const field = SETTING_FIELDS[name]
  const id = `setting-${name}`
  const helpId = `${id}-help`
  const errorId = `${id}-error`
  const describedBy = error ? `${helpId} ${errorId}` : helpId
  const label = settingLabel(name)
  let control: JSX.Element
  switch (field.kind) {
    case 'boolean':
      control = (
        <input
          id={id}
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.target.checked)}
          aria-describedby={describedBy}
        />
      )
      break
    case 'enum':
      control = (
        <select
          id={id}
          value={String(value)}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={Boolean(error)}
        >
          {field.values.map((v) => (
            <option key={String(v)} value={String(v)}>
              {String(v)}
            </option>
          ))}
        </select>
      )
      break
    case 'integer':
      control = (
        <span className="integer-control">
          <input
            id={id}
            type="number"
            inputMode="numeric"
            step={1}
            min={field.min}
            max={field.max}
            value={value === null ? '' : String(value)}
            disabled={value === null}
            onChange={(e) => onChange(e.target.value)}
            aria-describedby={describedBy}
            aria-invalid={Boolean(error)}
          />
          {field.nullable && (
            <label className="none-toggle">
              <input
                type="checkbox"
                checked={value === null}
                onChange={(e) => onChange(e.target.checked ? null : '0')}
                aria-label={`${label}: none`}
              />
              none
            </label>
          )}
        </span>
      )
      break
    case 'string':
      control = (
        <input
          id={id}
          className="mono"
          value={String(value ?? '')}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={Boolean(error)}
          spellCheck={false}
        />
      )
      break
  }
  return (
    <div className={`setting-row ${dirty ? 'dirty' : ''} ${error ? 'invalid' : ''}`} data-testid={`setting-${name}`}>
      <label htmlFor={id} className="setting-label">
        {label}
        {dirty && (
          <span className="dirty-mark" title="changed, not applied yet" aria-hidden="true">
            {' '}
            •
          </span>
        )}
      </label>
      <div className="setting-control">{control}</div>
      <div className="setting-help">
        <span id={helpId} className="muted">
          {field.help}{' '}
          <span className={`applies applies-${SETTING_APPLIES[name]}`} data-testid="setting-applies">
            {APPLIES_LABEL[SETTING_APPLIES[name]]}
          </span>
        </span>
        {error && (
          <span id={errorId} className="field-error" role="alert">
            {error}
          </span>
        )}
      </div>
    </div>
  )
}

export function SettingsView(): JSX.Element | null {
  const settings = useInspectorStore((s) => s.data?.settings)
  const listeners = useInspectorStore((s) => s.data?.listeners ?? NONE)
  const applySettings = useInspectorStore((s) => s.applySettings)
  const [drafts, setDrafts] = useState<Drafts>({})
  const [errors, setErrors] = useState<Errors>({})
  const [busy, setBusy] = useState(false)
  const [message, showMessage] = useActionMessage()

  const pending = useMemo(() => (settings ? checkDrafts(drafts, settings) : null), [drafts, settings])
  if (!settings || !pending) return null
  const changed = Object.keys(pending.patch).length

  const draftValue = (key: SettingKey): DraftValue =>
    drafts[key] !== undefined ? (drafts[key] as DraftValue) : toDraft(key, settings[key])
  const isDirty = (key: SettingKey): boolean => key in pending.patch || key in pending.errors

  const change = (key: SettingKey, value: DraftValue): void => {
    setDrafts((d) => ({ ...d, [key]: value }))
    setErrors((e) => {
      const next = { ...e }
      delete next[key]
      delete next['']
      return next
    })
  }

  const apply = async (): Promise<void> => {
    const check = checkDrafts(drafts, settings)
    if (Object.keys(check.errors).length > 0) {
      setErrors(check.errors)
      showMessage(false, 'Some values are not valid; nothing was applied.')
      return
    }
    if (Object.keys(check.patch).length === 0) {
      setDrafts({})
      showMessage(true, 'Nothing to apply.')
      return
    }
    setBusy(true)
    try {
      const result = await getApi().call('updateSettings', check.patch)
      if (result.ok) {
        applySettings(result.settings, result.listeners)
        setDrafts({})
        setErrors({})
        const failed = result.listeners.filter((l) => l.error)
        const note = appliesNote(Object.keys(check.patch) as SettingKey[])
        showMessage(
          failed.length === 0,
          failed.length === 0
            ? `Settings applied.${note ? ` ${note}` : ''}`
            : `Settings applied, but: ${failed.map((l) => l.error).join('; ')}`
        )
      } else {
        const next: Errors = {}
        for (const e of result.errors) next[e.key] = fieldMessage(e.key, e.message)
        setErrors(next)
        showMessage(false, 'The broker refused some values; nothing was applied.')
      }
    } catch (error) {
      showMessage(false, `Apply failed: ${errorText(error)}`)
    } finally {
      setBusy(false)
    }
  }

  const revert = (): void => {
    setDrafts({})
    setErrors({})
  }

  const renderFields = (keys: readonly SettingKey[]): JSX.Element[] =>
    keys.map((key) => (
      <SettingField
        key={key}
        name={key}
        value={draftValue(key)}
        dirty={isDirty(key)}
        error={errors[key] ?? pending.errors[key]}
        onChange={(v) => change(key, v)}
      />
    ))

  return (
    <div className="view settings-view">
      <div className="view-header">
        <h1>Settings</h1>
        <span className="muted">
          Changes take effect when you apply them. Each setting says when: live, new connections only (connected clients keep what their
          CONNECT was told), restarts listeners, or at the next start. The broker logs every change: what, old → new, and from where.
        </span>
      </div>
      <form
        className="settings-form"
        aria-label="Broker settings"
        onSubmit={(event) => {
          event.preventDefault()
          void apply()
        }}
      >
        <div className="settings-actions">
          <button type="submit" className="primary" disabled={busy}>
            Apply
          </button>
          <button type="button" onClick={revert} disabled={busy || Object.keys(drafts).length === 0}>
            Revert
          </button>
          <span className="muted">{changed > 0 ? `${changed} change${changed === 1 ? '' : 's'} to apply` : 'No changes'}</span>
          <ActionMessage message={message} />
        </div>
        {errors[''] && (
          <p className="field-error" role="alert">
            {errors['']}
          </p>
        )}
        <section className="panel" aria-labelledby="listeners-title">
          <h2 id="listeners-title">Listeners</h2>
          <table className="data-table compact" aria-label="Listener status" data-testid="listener-status">
            <thead>
              <tr>
                <th scope="col">Listener</th>
                <th scope="col">Address</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {listeners.map((l) => (
                <tr key={l.name}>
                  <td>{listenerLabel(l.name)}</td>
                  <td className="mono">{formatListenerAddress(l, settings.wsPath)}</td>
                  <td>
                    {l.listening ? (
                      <span className="badge badge-ok">listening</span>
                    ) : l.error ? (
                      <span className="field-error">{l.error}</span>
                    ) : (
                      <span className="badge badge-muted">off</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="settings-grid">{renderFields(LISTENER_KEYS)}</div>
        </section>
        <section className="panel" aria-labelledby="api-title">
          <h2 id="api-title">Management API and metrics</h2>
          <p className="muted" data-testid="api-address">
            {settings.apiPort > 0
              ? `REST API on http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.apiPort}/api/v5 (Authorization: Bearer <API key>, or a user of the auth file); Prometheus at /metrics.`
              : 'Off. Set an API port to serve the REST API (EMQX 5 shapes under /api/v5) and Prometheus metrics; a key is made when it is first turned on.'}
          </p>
          <div className="settings-grid">{renderFields(API_KEYS)}</div>
        </section>
        <section className="panel" aria-labelledby="features-title">
          <h2 id="features-title">Broker features and limits</h2>
          <div className="settings-grid">{renderFields(FEATURE_KEYS)}</div>
        </section>
      </form>
      <DesktopSection />
    </div>
  )
}
