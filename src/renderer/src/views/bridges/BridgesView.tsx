import { useState, type JSX } from 'react'
import type { BridgeStatus } from '../../../../shared/bridges'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { ConfirmDialog } from '../../components/ConfirmDialog'
import { ConnectRemoteDialog } from '../../components/ConnectRemoteDialog'
import { bridgeRequest, EMPTY_BRIDGE_FORM, explainRule, formOf, type BridgeForm, type BridgeFormErrors } from '../../lib/bridge-form'
import { BridgeState, totalDropped } from '../../components/BridgeState'
import { formatBytes, formatCount } from '../../lib/format'
import { NONE, useInspectorStore } from '../../store/inspector-store'
import './bridges.css'

export function BridgesView(): JSX.Element {
  const bridges = useInspectorStore((s) => s.data?.bridges ?? NONE)
  const [editing, setEditing] = useState<{ form: BridgeForm; name: string | null; kind: 'bridge' | 'inspect' } | null>(null)
  const [errors, setErrors] = useState<BridgeFormErrors>({})
  const [connecting, setConnecting] = useState(false)
  const [deleting, setDeleting] = useState<BridgeStatus | null>(null)
  const [busy, setBusy] = useState(false)
  const [message, say] = useActionMessage()
  const now = Date.now()

  const act = async (what: string, run: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true)
    try {
      await run()
      say(true, what)
      return true
    } catch (error) {
      say(false, errorText(error))
      return false
    } finally {
      setBusy(false)
    }
  }

  const save = async (): Promise<void> => {
    if (!editing) return
    const checked = bridgeRequest(editing.form, editing.name, editing.kind)
    if (!checked.ok) {
      setErrors(checked.errors)
      return
    }
    setErrors({})
    const done = await act(`Saved ${checked.request.config.name}`, () => getApi().call('saveBridge', checked.request))
    if (done) setEditing(null)
  }

  const set = <K extends keyof BridgeForm>(key: K, value: BridgeForm[K]): void =>
    setEditing((current) => (current ? { ...current, form: { ...current.form, [key]: value } } : current))

  return (
    <div className="view bridges-view">
      <div className="view-header">
        <h1>Bridges</h1>
        <span className="muted">
          {formatCount(bridges.length)} bridge{bridges.length === 1 ? '' : 's'} ·{' '}
          {formatCount(bridges.filter((b) => b.state === 'connected').length)} connected
        </span>
      </div>
      <p className="muted small-text">
        A bridge carries chosen topics between this broker and another one (mosquitto, EMQX, HiveMQ…), with rules written as mosquitto
        writes them: <code>pattern [in|out|both] [qos] [local-prefix] [remote-prefix]</code>. While the remote is away, QoS 1 and 2 messages
        for it wait (bounded) and go out in order when it is back.
      </p>
      <div className="toolbar">
        <button
          type="button"
          className="primary small"
          onClick={() => {
            setErrors({})
            setEditing({ form: { ...EMPTY_BRIDGE_FORM }, name: null, kind: 'bridge' })
          }}
          data-testid="add-bridge"
        >
          Add bridge
        </button>
        <button type="button" className="small" onClick={() => setConnecting(true)} data-testid="open-connect-dialog">
          Connect to a broker…
        </button>
      </div>
      <ActionMessage message={message} />

      <table className="data-table compact bridges-table" aria-label="Bridges" data-testid="bridges-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Remote</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              In
            </th>
            <th scope="col" className="num">
              Out
            </th>
            <th scope="col" className="num" title="Waiting for the remote / in flight to it">
              Queued
            </th>
            <th scope="col" className="num">
              Dropped
            </th>
            <th scope="col" className="num">
              Reconnects
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {bridges.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
                No bridges. Add one, or connect to a broker to watch it.
              </td>
            </tr>
          )}
          {bridges.map((b) => {
            const dropped = totalDropped(b)
            return (
              <tr key={b.config.name} data-testid={`bridge-row-${b.config.name}`}>
                <td>
                  <strong className="mono">{b.config.name}</strong>{' '}
                  {b.config.kind === 'inspect' && <span className="badge badge-remote">remote inspection</span>}
                  {b.source === 'config' && (
                    <span className="badge badge-muted" title="Defined in the config file or on the command line: change it there">
                      config file
                    </span>
                  )}
                  <div className="muted small-text mono ellipsis" title={b.config.topics.join('\n')}>
                    {b.config.topics.join(' · ')}
                  </div>
                </td>
                <td title={b.config.url}>
                  <span className="mono ellipsis">{b.config.url}</span>
                  <div className="muted small-text">
                    MQTT {b.config.protocolVersion === 5 ? '5' : '3.1.1'}
                    {b.bridgeFlagAccepted === false ? ' · bridge flag refused' : ''}
                  </div>
                </td>
                <td>
                  <BridgeState status={b} now={now} />
                  {b.problems.length > 0 && (
                    <div className="warning-text small-text ellipsis" title={b.problems.join('\n')}>
                      {b.problems.at(-1)}
                    </div>
                  )}
                </td>
                <td className="num" title={formatBytes(b.counters.bytesIn)}>
                  {formatCount(b.counters.messagesIn)}
                </td>
                <td className="num" title={formatBytes(b.counters.bytesOut)}>
                  {formatCount(b.counters.messagesOut)}
                </td>
                <td className="num">
                  {formatCount(b.queued)} / {formatCount(b.inflight)}
                </td>
                <td
                  className={`num ${dropped > 0 ? 'warning-text' : ''}`}
                  title={Object.entries(b.counters.dropped)
                    .map(([reason, n]) => `${reason}: ${n}`)
                    .join('\n')}
                  data-testid={`bridge-dropped-${b.config.name}`}
                >
                  {formatCount(dropped)}
                </td>
                <td className="num">{formatCount(b.counters.reconnects)}</td>
                <td>
                  <div className="button-row">
                    {b.state === 'stopped' ? (
                      <button
                        type="button"
                        className="small"
                        disabled={busy}
                        onClick={() => void act(`Started ${b.config.name}`, () => getApi().call('setBridgeRunning', b.config.name, true))}
                      >
                        Start
                      </button>
                    ) : (
                      <button
                        type="button"
                        className="small"
                        disabled={busy}
                        onClick={() => void act(`Stopped ${b.config.name}`, () => getApi().call('setBridgeRunning', b.config.name, false))}
                      >
                        Stop
                      </button>
                    )}
                    {b.source === 'ui' && (
                      <>
                        <button
                          type="button"
                          className="small"
                          onClick={() => {
                            setErrors({})
                            setEditing({ form: formOf(b), name: b.config.name, kind: b.config.kind })
                          }}
                        >
                          Edit
                        </button>
                        <button type="button" className="small danger" disabled={busy} onClick={() => setDeleting(b)}>
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>

      {editing && (
        <BridgeEditor
          form={editing.form}
          editing={editing.name}
          kind={editing.kind}
          passwordSet={editing.name !== null && bridges.some((b) => b.config.name === editing.name && b.passwordSet)}
          errors={errors}
          busy={busy}
          set={set}
          onSave={() => void save()}
          onCancel={() => setEditing(null)}
        />
      )}

      <ConnectRemoteDialog
        open={connecting}
        onClose={(result) => {
          setConnecting(false)
          if (result) say(true, result)
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete the bridge ${deleting?.config.name ?? ''}?`}
        danger
        confirmLabel="Delete"
        onConfirm={() => {
          const target = deleting
          setDeleting(null)
          if (target) void act(`Deleted ${target.config.name}`, () => getApi().call('deleteBridge', target.config.name))
        }}
        onCancel={() => setDeleting(null)}
      >
        <p>
          It disconnects from {deleting?.config.url}, and the {formatCount(deleting ? deleting.queued + deleting.inflight : 0)} messages
          waiting for the remote are dropped.
          {deleting?.config.kind === 'inspect' ? ' The copies of the remote’s retained messages go too.' : ''}
        </p>
      </ConfirmDialog>
    </div>
  )
}

interface EditorProps {
  form: BridgeForm
  editing: string | null
  kind: 'bridge' | 'inspect'
  passwordSet: boolean
  errors: BridgeFormErrors
  busy: boolean
  set<K extends keyof BridgeForm>(key: K, value: BridgeForm[K]): void
  onSave(): void
  onCancel(): void
}

function Field({
  id,
  label,
  error,
  children,
  grow
}: {
  id: string
  label: string
  error?: string
  children: JSX.Element
  grow?: boolean
}): JSX.Element {
  return (
    <div className={`field ${grow ? 'grow' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <span className="field-error" data-testid={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  )
}

function BridgeEditor({ form, editing, kind, passwordSet, errors, busy, set, onSave, onCancel }: EditorProps): JSX.Element {
  const lines = form.topics.split('\n').filter((l) => l.trim() !== '')
  return (
    <form
      className="panel bridge-editor"
      aria-label={editing ? `Edit bridge ${editing}` : 'New bridge'}
      data-testid="bridge-editor"
      onSubmit={(event) => {
        event.preventDefault()
        onSave()
      }}
    >
      <h2>{editing ? `Edit ${editing}` : 'New bridge'}</h2>
      <div className="field-row">
        <Field id="bridge-name" label="Name" error={errors.name}>
          <input id="bridge-name" value={form.name} onChange={(e) => set('name', e.target.value)} placeholder="cloud" size={16} />
        </Field>
        <Field id="bridge-url" label="Remote broker URL" error={errors.url} grow>
          <input
            id="bridge-url"
            value={form.url}
            onChange={(e) => set('url', e.target.value)}
            placeholder="mqtts://broker.example.com:8883"
          />
        </Field>
        <Field id="bridge-protocol" label="MQTT" error={errors.protocolVersion}>
          <select id="bridge-protocol" value={form.protocolVersion} onChange={(e) => set('protocolVersion', e.target.value as '4' | '5')}>
            <option value="5">5</option>
            <option value="4">3.1.1</option>
          </select>
        </Field>
      </div>
      <div className="field-row">
        <Field id="bridge-username" label="User name" error={errors.username} grow>
          <input id="bridge-username" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" />
        </Field>
        <Field id="bridge-password" label="Password" error={errors.password} grow>
          <input
            id="bridge-password"
            type="password"
            value={form.password}
            onChange={(e) => set('password', e.target.value)}
            placeholder={passwordSet ? 'unchanged' : ''}
            autoComplete="new-password"
          />
        </Field>
        <Field id="bridge-client-id" label="Client id on the remote" error={errors.clientId} grow>
          <input
            id="bridge-client-id"
            value={form.clientId}
            onChange={(e) => set('clientId', e.target.value)}
            placeholder={`${form.name || 'name'}.<this host>`}
          />
        </Field>
      </div>
      <Field id="bridge-topics" label="Topic rules, one per line" error={errors.topics}>
        <textarea
          id="bridge-topics"
          className="mono"
          rows={Math.max(3, lines.length + 1)}
          value={form.topics}
          onChange={(e) => set('topics', e.target.value)}
          placeholder={'sensors/# out 1\ncmd/# in 1 local/ remote/'}
          readOnly={kind === 'inspect'}
        />
      </Field>
      {lines.length > 0 && (
        <ul className="plain-list small-text rule-explanations" aria-label="What the rules do">
          {lines.map((line, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the lines have no identity of their own
            <li key={i} className="mono muted">
              {line.trim()} — {explainRule(line)}
            </li>
          ))}
        </ul>
      )}
      <details className="v5-properties">
        <summary>Session, TLS and limits</summary>
        <div className="field-row">
          <Field id="bridge-keepalive" label="Keep alive (s)" error={errors.keepAlive}>
            <input id="bridge-keepalive" value={form.keepAlive} onChange={(e) => set('keepAlive', e.target.value)} size={6} />
          </Field>
          <Field id="bridge-expiry" label="Session expiry (s, v5)" error={errors.sessionExpiry}>
            <input id="bridge-expiry" value={form.sessionExpiry} onChange={(e) => set('sessionExpiry', e.target.value)} size={10} />
          </Field>
          <div className="field checkbox-field">
            <label>
              <input type="checkbox" checked={form.cleanStart} onChange={(e) => set('cleanStart', e.target.checked)} />
              Clean start
            </label>
          </div>
          <div className="field checkbox-field">
            <label title="MQTT 3.1.1: tell the remote it is a bridge (mosquitto's try_private), so it does not echo our messages">
              <input type="checkbox" checked={form.tryPrivate} onChange={(e) => set('tryPrivate', e.target.checked)} />
              Bridge flag (3.1.1)
            </label>
          </div>
        </div>
        <div className="field-row">
          <Field id="bridge-ca" label="CA file (PEM)" error={errors.caFile} grow>
            <input
              id="bridge-ca"
              value={form.caFile}
              onChange={(e) => set('caFile', e.target.value)}
              placeholder="empty: the system's CAs"
            />
          </Field>
          <Field id="bridge-cert" label="Client certificate" error={errors.certFile} grow>
            <input id="bridge-cert" value={form.certFile} onChange={(e) => set('certFile', e.target.value)} />
          </Field>
          <Field id="bridge-key" label="Client key" error={errors.keyFile} grow>
            <input id="bridge-key" value={form.keyFile} onChange={(e) => set('keyFile', e.target.value)} />
          </Field>
          <div className="field checkbox-field">
            <label>
              <input type="checkbox" checked={form.insecure} onChange={(e) => set('insecure', e.target.checked)} />
              Do not check the certificate
            </label>
          </div>
        </div>
        <div className="field-row">
          <Field id="bridge-max-queued" label="Queue: messages" error={errors.maxQueuedMessages}>
            <input
              id="bridge-max-queued"
              value={form.maxQueuedMessages}
              onChange={(e) => set('maxQueuedMessages', e.target.value)}
              size={9}
            />
          </Field>
          <Field id="bridge-max-bytes" label="Queue: bytes (0 = no bound)" error={errors.maxQueuedBytes}>
            <input id="bridge-max-bytes" value={form.maxQueuedBytes} onChange={(e) => set('maxQueuedBytes', e.target.value)} size={11} />
          </Field>
          <Field id="bridge-inflight" label="In flight at most" error={errors.maxInflight}>
            <input id="bridge-inflight" value={form.maxInflight} onChange={(e) => set('maxInflight', e.target.value)} size={6} />
          </Field>
          <Field id="bridge-local-user" label="Local user (for the ACL)" error={errors.localUsername} grow>
            <input id="bridge-local-user" value={form.localUsername} onChange={(e) => set('localUsername', e.target.value)} />
          </Field>
        </div>
      </details>
      <div className="button-row">
        <label className="field-inline">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          Running
        </label>
        <span className="toolbar-spacer" />
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy} data-testid="save-bridge">
          Save
        </button>
      </div>
    </form>
  )
}
