/**
 * Settings, desktop app only: where the app keeps its files (with "Open folder"), its log file,
 * and the app's own settings (close to tray, log rotation), saved in settings.json `desktop`.
 */
import { useEffect, useState, type JSX } from 'react'
import type { DesktopInfo, DesktopSettings } from '../../../../shared/desktop-api'
import { desktopApi } from '../../api/desktop'
import { useActionMessage } from '../../components/ActionMessage'
import { formatBytes, formatCount } from '../../lib/format'

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function DesktopSection(): JSX.Element | null {
  const desktop = desktopApi()
  const [info, setInfo] = useState<DesktopInfo | null>(null)
  const [settings, setSettings] = useState<DesktopSettings | null>(null)
  const [logMiB, setLogMiB] = useState('')
  const [logFiles, setLogFiles] = useState('')
  const [message, showMessage] = useActionMessage()

  useEffect(() => {
    if (!desktop) return
    void Promise.all([desktop.call('info'), desktop.call('getDesktopSettings')]).then(
      ([nextInfo, nextSettings]) => {
        setInfo(nextInfo)
        setSettings(nextSettings)
        setLogMiB(String(nextSettings.logFileMaxBytes / (1024 * 1024)))
        setLogFiles(String(nextSettings.logFiles))
      },
      (error: unknown) => showMessage(false, `Could not read the desktop settings: ${errorText(error)}`)
    )
  }, [desktop, showMessage])

  if (!desktop) return null

  const openFolder = async (): Promise<void> => {
    try {
      const result = await desktop.call('openDataFolder')
      showMessage(result.ok, result.ok ? `Opened ${result.path}` : `Could not open ${result.path}: ${result.error}`)
    } catch (error) {
      showMessage(false, `Could not open the folder: ${errorText(error)}`)
    }
  }

  const save = async (patch: Partial<DesktopSettings>): Promise<void> => {
    try {
      const result = await desktop.call('updateDesktopSettings', patch)
      if (result.ok) {
        setSettings(result.settings)
        showMessage(true, 'Desktop settings saved.')
        return
      }
      showMessage(false, result.errors.map((e) => `${e.key}: ${e.message}`).join('; '))
    } catch (error) {
      showMessage(false, `Could not save: ${errorText(error)}`)
    }
    setSettings(await desktop.call('getDesktopSettings').catch(() => settings))
  }

  return (
    <section className="panel" aria-labelledby="desktop-title" data-testid="desktop-section">
      <h2 id="desktop-title">Desktop app</h2>
      {info && (
        <dl className="desktop-paths">
          <dt>App data folder</dt>
          <dd>
            <code data-testid="data-dir">{info.dataDir}</code>{' '}
            <button type="button" className="small" onClick={() => void openFolder()}>
              Open folder
            </button>
            <div className="muted small-text">Settings (settings.json), the store, saved messages and logs are kept here.</div>
          </dd>
          <dt>Settings file</dt>
          <dd>
            <code>{info.settingsFile}</code>
          </dd>
          <dt>Store</dt>
          <dd>
            <code data-testid="store-dir">{info.storeDir}</code>
            <div className="muted small-text">Retained messages and persistent sessions, when persistence is on (Settings above).</div>
          </dd>
          <dt>Saved messages</dt>
          <dd>
            <code>{info.savedMessagesFile}</code>
          </dd>
          <dt>Log file</dt>
          <dd>
            <code data-testid="log-file">{info.logFile}</code>
            <div className="muted small-text">
              Rotated at {settings ? formatBytes(settings.logFileMaxBytes) : '…'} ({info.logFile}.1, .2, …);{' '}
              {formatCount(info.logRotations)} rotation{info.logRotations === 1 ? '' : 's'} this run
              {info.logWriteFailures > 0 ? `; ${formatCount(info.logWriteFailures)} lines could not be written` : ''}.
            </div>
          </dd>
          <dt>Version</dt>
          <dd data-testid="app-version">
            {info.version} (build {info.build})
          </dd>
        </dl>
      )}
      {settings && (
        <div className="settings-grid">
          <label className="field-inline">
            <input
              type="checkbox"
              checked={settings.closeToTray}
              onChange={(event) => {
                const closeToTray = event.target.checked
                // Shown at once; save() puts back what the app really has if it refuses.
                setSettings({ ...settings, closeToTray })
                void save({ closeToTray })
              }}
              data-testid="close-to-tray"
            />
            Keep the broker running in the tray when the window is closed
          </label>
          <form
            className="field-inline"
            aria-label="Log file rotation"
            onSubmit={(event) => {
              event.preventDefault()
              void save({ logFileMaxBytes: Math.round(Number(logMiB) * 1024 * 1024), logFiles: Number(logFiles) })
            }}
          >
            <label>
              Log file size, MiB <input type="number" min="0.0625" step="any" value={logMiB} onChange={(e) => setLogMiB(e.target.value)} />
            </label>
            <label>
              Old log files kept <input type="number" min="0" step="1" value={logFiles} onChange={(e) => setLogFiles(e.target.value)} />
            </label>
            <button type="submit" className="small">
              Save
            </button>
          </form>
        </div>
      )}
      {/* Not ActionMessage: the broker form above has that one (and its test id). */}
      <p className={`action-message ${message ? (message.ok ? 'ok' : 'error') : ''}`} role="status" data-testid="desktop-message">
        {message?.text}
      </p>
    </section>
  )
}
