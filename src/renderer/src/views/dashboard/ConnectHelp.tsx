/**
 * "How to connect": the listeners with copy buttons, ready snippets, and — when the broker listens
 * on this machine only — a plain note that devices cannot reach it and a one-click "Allow LAN
 * devices" naming this machine's addresses. Open by itself until a first client connects.
 */
import { useEffect, useState, type JSX } from 'react'
import type { NetworkAddresses } from '../../../../shared/api'
import { getApi } from '../../api'
import { ActionMessage, errorText, useActionMessage } from '../../components/ActionMessage'
import { connectSnippets, connectTarget, isLoopbackHost, listensEverywhere } from '../../lib/connect-snippets'
import { formatListenerAddress, listenerLabel } from '../../lib/format'
import { useInspectorStore } from '../../store/inspector-store'
import { useUiStore } from '../../store/ui-store'

function useNetworkAddresses(): NetworkAddresses | null {
  const [addresses, setAddresses] = useState<NetworkAddresses | null>(null)
  useEffect(() => {
    let current = true
    getApi()
      .call('networkAddresses')
      .then(
        (answer) => {
          if (current) setAddresses(answer)
        },
        () => undefined
      )
    return () => {
      current = false
    }
  }, [])
  return addresses
}

function CopyButton({ text, label }: { text: string; label: string }): JSX.Element {
  const [copied, setCopied] = useState(false)
  const copy = (): void => {
    void navigator.clipboard?.writeText(text).then(
      () => {
        setCopied(true)
        setTimeout(() => setCopied(false), 1500)
      },
      () => undefined
    )
  }
  return (
    <button type="button" className="small" onClick={copy} aria-label={`Copy ${label}`}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  )
}

export function ConnectHelp(): JSX.Element | null {
  const data = useInspectorStore((s) => s.data)
  const applySettings = useInspectorStore((s) => s.applySettings)
  const open = useUiStore((s) => s.connectHelpOpen)
  const network = useNetworkAddresses()
  const [busy, setBusy] = useState(false)
  const [message, showMessage] = useActionMessage()
  const firstRun = data !== null && data.stats.clientsTotal === 0
  // Decided once, when first shown: open on a first run (no client has connected yet), and it stays
  // as it is when the first client connects (that may be the snippet the user just ran).
  useEffect(() => {
    if (open === null && data !== null) useUiStore.getState().setConnectHelpOpen(firstRun)
  }, [open, data, firstRun])
  if (!data) return null
  const { settings, listeners, stats } = data
  const isOpen = open ?? firstRun
  const lan = (network?.addresses ?? []).map((a) => (a.family === 'IPv6' ? `[${a.address}]` : a.address))
  const target = connectTarget(settings.host, lan)
  const snippets = connectSnippets(target, listeners, settings.wsPath)
  const up = listeners.filter((l) => l.listening)
  const tcp = up.find((l) => l.name === 'tcp')

  const setHost = async (host: string): Promise<void> => {
    setBusy(true)
    try {
      const result = await getApi().call('updateSettings', { host })
      if (!result.ok) return showMessage(false, result.errors.map((e) => e.message).join('; '))
      applySettings(result.settings, result.listeners)
      const failed = result.listeners.filter((l) => l.error)
      if (failed.length > 0) return showMessage(false, failed.map((l) => l.error).join('; '))
      showMessage(
        true,
        listensEverywhere(host)
          ? `Listening on every interface: devices can connect to ${lan[0] ?? 'this machine'}${tcp ? `:${tcp.port}` : ''}. WebSocket clients reconnected.`
          : 'Listening on this machine only again.'
      )
    } catch (error) {
      showMessage(false, `Could not change the listen address: ${errorText(error)}`)
    } finally {
      setBusy(false)
    }
  }

  return (
    <details
      className="panel connect-help"
      open={isOpen}
      onToggle={(event) => {
        const now = (event.currentTarget as HTMLDetailsElement).open
        if (now !== isOpen) useUiStore.getState().setConnectHelpOpen(now)
      }}
      data-testid="connect-help"
    >
      <summary>
        <h2>How to connect</h2>
        {stats.clientsTotal === 0 && <span className="muted">No client has connected yet.</span>}
      </summary>
      <ul className="connect-listeners" aria-label="Listener addresses">
        {up.map((l) => {
          const address = formatListenerAddress({ ...l, host: target.local }, settings.wsPath)
          return (
            <li key={l.name}>
              <span className="listener-name">{listenerLabel(l.name)}</span> <code>{address}</code>
              <CopyButton text={address} label={`the ${listenerLabel(l.name)} address`} />
            </li>
          )
        })}
        {up.length === 0 && <li className="warning-text">No listener is up: see Settings.</li>}
      </ul>
      {isLoopbackHost(settings.host) ? (
        <div className="banner banner-info" data-testid="loopback-note">
          <span>
            The broker listens on <code>{settings.host}</code> only: programs on this machine can connect, but devices on your network (an
            ESP32, a phone, another computer) cannot.
            {lan.length > 0 ? (
              <>
                {' '}
                Allowed, they would use <strong>{lan.join(', ')}</strong>
                {network ? ` (${network.hostname})` : ''}.
              </>
            ) : (
              ' This machine has no network address right now.'
            )}
          </span>
          <button type="button" className="small primary" onClick={() => void setHost('0.0.0.0')} disabled={busy} data-testid="allow-lan">
            Allow LAN devices
          </button>
        </div>
      ) : (
        <div className="banner banner-info" data-testid="lan-note">
          <span>
            Devices on your network can connect
            {listensEverywhere(settings.host) && lan.length > 0 ? (
              <>
                {' '}
                to <strong>{lan.join(', ')}</strong>
              </>
            ) : (
              <>
                {' '}
                to <code>{settings.host}</code>
              </>
            )}
            {tcp ? ` port ${tcp.port}` : ''}. If one still cannot, this machine's firewall may block the port.
          </span>
          <button type="button" className="small" onClick={() => void setHost('127.0.0.1')} disabled={busy}>
            This machine only
          </button>
        </div>
      )}
      <ActionMessage message={message} />
      {!settings.allowAnonymous && (
        <p className="warning-text small-text">Anonymous clients are refused: add a user name and password to these (-u, -P).</p>
      )}
      <div className="snippets">
        {snippets.map((snippet) => (
          <section key={snippet.id} className="snippet" aria-label={snippet.title} data-testid={`snippet-${snippet.id}`}>
            <div className="snippet-head">
              <h3>{snippet.title}</h3>
              <CopyButton text={snippet.code} label={snippet.title} />
            </div>
            <pre className="snippet-code mono">{snippet.code}</pre>
          </section>
        ))}
      </div>
    </details>
  )
}
