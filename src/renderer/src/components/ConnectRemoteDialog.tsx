import { useEffect, useRef, useState, type JSX } from 'react'
import { inspectPrefix, parseBrokerUrl, suggestBridgeName } from '../../../shared/bridges'
import { getApi } from '../api'
import { NONE, useInspectorStore } from '../store/inspector-store'
import { errorText } from './ActionMessage'

export interface ConnectRemoteDialogProps {
  open: boolean
  onClose(result: string | null): void
}

/**
 * "Connect to a broker…": inspect a remote broker, read-only. Its traffic (and its $SYS) comes in
 * under remote/<name>/ and fills Topics, Traffic, Retained and the Dashboard; nothing goes out.
 */
export function ConnectRemoteDialog({ open, onClose }: ConnectRemoteDialogProps): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null)
  const bridges = useInspectorStore((s) => s.data?.bridges ?? NONE)
  const [url, setUrl] = useState('mqtt://')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [name, setName] = useState('')
  const [version, setVersion] = useState<'5' | '4'>('5')
  const [caFile, setCaFile] = useState('')
  const [insecure, setInsecure] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) {
      setError(null)
      dialog.showModal()
    }
    if (!open && dialog.open) dialog.close()
  }, [open])

  const parsed = parseBrokerUrl(url.trim())
  const taken = new Set(bridges.map((b) => b.config.name))
  const effectiveName = name.trim() || (parsed.ok ? suggestBridgeName(url.trim(), taken) : '')
  const secure = parsed.ok && (parsed.scheme === 'mqtts:' || parsed.scheme === 'wss:')

  const connect = async (): Promise<void> => {
    if (!parsed.ok) {
      setError(`URL: ${parsed.error}`)
      return
    }
    setBusy(true)
    setError(null)
    try {
      const status = await getApi().call('connectRemote', {
        url: url.trim(),
        username: username.trim() || null,
        password: password === '' ? null : password,
        name: name.trim() || undefined,
        protocolVersion: version === '5' ? 5 : 4,
        caFile: caFile.trim() || null,
        insecure
      })
      setPassword('')
      onClose(`Inspecting ${status.config.url}: its topics appear under ${inspectPrefix(status.config.name)}`)
    } catch (e) {
      setError(errorText(e))
    } finally {
      setBusy(false)
    }
  }

  return (
    <dialog
      ref={ref}
      className="confirm-dialog connect-dialog"
      aria-labelledby="connect-dialog-title"
      data-testid="connect-dialog"
      onCancel={(event) => {
        event.preventDefault()
        onClose(null)
      }}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault()
          void connect()
        }}
      >
        <h2 id="connect-dialog-title">Connect to a broker</h2>
        <p className="muted small-text">
          Watch a broker you do not run: everything it carries and its <code>$SYS</code> come in, read-only, under{' '}
          <code>{effectiveName ? inspectPrefix(effectiveName) : 'remote/<name>/'}</code> in Topics, Traffic, Retained and the Dashboard.
          Nothing is published to it.
        </p>
        <div className="field">
          <label htmlFor="connect-url">Broker URL</label>
          <input
            id="connect-url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="mqtt://broker.example.com:1883"
            autoFocus
            aria-invalid={url !== 'mqtt://' && !parsed.ok}
            data-testid="connect-url"
          />
        </div>
        <div className="field-row">
          <div className="field grow">
            <label htmlFor="connect-user">User name</label>
            <input id="connect-user" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
          </div>
          <div className="field grow">
            <label htmlFor="connect-password">Password</label>
            <input
              id="connect-password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="off"
            />
          </div>
        </div>
        <div className="field-row">
          <div className="field grow">
            <label htmlFor="connect-name">Name</label>
            <input
              id="connect-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder={effectiveName || 'the host name'}
              data-testid="connect-name"
            />
          </div>
          <div className="field">
            <label htmlFor="connect-version">MQTT</label>
            <select id="connect-version" value={version} onChange={(e) => setVersion(e.target.value as '5' | '4')}>
              <option value="5">5</option>
              <option value="4">3.1.1</option>
            </select>
          </div>
        </div>
        {secure && (
          <div className="field-row">
            <div className="field grow">
              <label htmlFor="connect-ca">CA file (PEM)</label>
              <input
                id="connect-ca"
                value={caFile}
                onChange={(e) => setCaFile(e.target.value)}
                placeholder="empty: the system's CAs"
                autoComplete="off"
              />
            </div>
            <div className="field checkbox-field">
              <label>
                <input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.target.checked)} />
                Do not check the certificate
              </label>
            </div>
          </div>
        )}
        {error && (
          <p className="field-error" role="alert" data-testid="connect-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => onClose(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !parsed.ok} data-testid="connect-submit">
            Connect
          </button>
        </div>
      </form>
    </dialog>
  )
}
