import { useEffect, useState, type JSX } from 'react'
import type { ReplayOptions } from '../../../../shared/tools-api'
import { getApi } from '../../api'
import { ActionMessage, useActionMessage } from '../../components/ActionMessage'
import { formatBytes, formatCount, formatDateTime } from '../../lib/format'
import { errorText, useToolsStore } from '../simulate/tools-store'

const SPEEDS: Array<{ value: number; label: string }> = [
  { value: 0.5, label: '× 0.5' },
  { value: 1, label: '× 1 (as recorded)' },
  { value: 2, label: '× 2' },
  { value: 5, label: '× 5' },
  { value: 10, label: '× 10' },
  { value: 0, label: 'as fast as possible' }
]

/** Replay a recording from the recordings folder into this broker or another one. */
export function ReplayPanel(): JSX.Element {
  const recordings = useToolsStore((s) => s.recordings)
  const replay = useToolsStore((s) => s.status?.replay ?? null)
  const folder = useToolsStore((s) => s.status?.recordingsDir ?? '')
  const [recording, setRecording] = useState('')
  const [speed, setSpeed] = useState(1)
  const [url, setUrl] = useState('')
  const [stripPrefix, setStripPrefix] = useState('')
  const [addPrefix, setAddPrefix] = useState('')
  const [clients, setClients] = useState('')
  const [direction, setDirection] = useState<'' | 'in' | 'out' | 'all'>('')
  const [message, showMessage] = useActionMessage()

  useEffect(() => useToolsStore.getState().watch(), [])
  useEffect(() => {
    void useToolsStore.getState().loadRecordings()
  }, [])
  // A recording that ended (or a replay) can change the list.
  const recordingActive = useToolsStore((s) => s.status?.recording?.active ?? false)
  useEffect(() => {
    if (!recordingActive) void useToolsStore.getState().loadRecordings()
  }, [recordingActive])
  const chosen = recording || recordings[0]?.name || ''

  const act = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action()
    } catch (error) {
      showMessage(false, `${what} failed: ${errorText(error)}`)
    } finally {
      await useToolsStore.getState().refresh()
    }
  }

  const start = (): Promise<void> =>
    act('Replay', async () => {
      const options: ReplayOptions = { recording: chosen, speed }
      if (url.trim()) options.url = url.trim()
      if (stripPrefix) options.stripPrefix = stripPrefix
      if (addPrefix) options.addPrefix = addPrefix
      const ids = clients
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean)
      if (ids.length > 0) options.clients = ids
      if (direction) options.direction = direction
      await getApi().call('startReplay', options)
    })

  const active = replay !== null && (replay.state === 'running' || replay.state === 'paused' || replay.state === 'connecting')

  return (
    <section className="panel replay-panel" aria-labelledby="replay-title">
      <div className="label-row">
        <h2 id="replay-title">Replay a recording</h2>
        <span className="muted small-text mono">{folder}</span>
        <span className="toolbar-spacer" />
        <button type="button" className="small" onClick={() => void useToolsStore.getState().loadRecordings()}>
          Refresh list
        </button>
      </div>
      {recordings.length === 0 ? (
        <p className="muted">
          No recordings yet: record from the Traffic view (or copy a .jsonl recording or a traffic .json export into the folder above).
        </p>
      ) : (
        <div className="field-row">
          <div className="field grow">
            <label htmlFor="replay-file">Recording</label>
            <select id="replay-file" value={chosen} onChange={(e) => setRecording(e.target.value)}>
              {recordings.map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name} — {formatBytes(r.size)}, {formatDateTime(r.modifiedAt)}
                  {r.pcap ? ' (+ pcapng)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="replay-speed">Speed</label>
            <select id="replay-speed" value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
              {SPEEDS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="replay-direction">Packets</label>
            <select id="replay-direction" value={direction} onChange={(e) => setDirection(e.target.value as typeof direction)}>
              <option value="">published (default)</option>
              <option value="in">in: published to the broker</option>
              <option value="out">out: delivered by it</option>
              <option value="all">both</option>
            </select>
          </div>
        </div>
      )}
      <div className="field-row">
        <div className="field grow">
          <label htmlFor="replay-url">Into broker URL</label>
          <input
            id="replay-url"
            className="mono"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="this broker (or mqtt://host:1883)"
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor="replay-strip">Strip topic prefix</label>
          <input id="replay-strip" className="mono" size={12} value={stripPrefix} onChange={(e) => setStripPrefix(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="replay-add">Add topic prefix</label>
          <input
            id="replay-add"
            className="mono"
            size={12}
            value={addPrefix}
            onChange={(e) => setAddPrefix(e.target.value)}
            placeholder="replay/"
          />
        </div>
        <div className="field">
          <label htmlFor="replay-clients">Only clients</label>
          <input
            id="replay-clients"
            className="mono"
            size={14}
            value={clients}
            onChange={(e) => setClients(e.target.value)}
            placeholder="id1, id2 (all)"
          />
        </div>
      </div>
      <div className="button-row">
        {!active && (
          <button type="button" className="primary" disabled={chosen === ''} onClick={() => void start()} data-testid="replay-start">
            Replay
          </button>
        )}
        {replay?.state === 'running' && (
          <button type="button" onClick={() => void act('Pause', () => getApi().call('pauseReplay'))}>
            Pause
          </button>
        )}
        {replay?.state === 'paused' && (
          <button type="button" onClick={() => void act('Resume', () => getApi().call('resumeReplay'))}>
            Resume
          </button>
        )}
        {active && (
          <button type="button" onClick={() => void act('Stop', () => getApi().call('stopReplay'))}>
            Stop
          </button>
        )}
      </div>
      {replay && (
        <div className="replay-status" data-testid="replay-status">
          <progress max={1} value={replay.progress} aria-label="Replay progress" />
          <span>
            <strong data-testid="replay-state">{replay.state}</strong> {replay.recording} → {replay.url}:{' '}
            {Math.round(replay.progress * 100)}%, at {(replay.positionMs / 1000).toFixed(1)} s of the recording;{' '}
            <span data-testid="replay-sent">{formatCount(replay.sent)}</span> sent, {formatCount(replay.failed)} failed,{' '}
            {formatCount(replay.skipped)} skipped, {formatCount(replay.rate)} msg/s
          </span>
          {replay.lastError && <span className="warning-text">{replay.lastError}</span>}
        </div>
      )}
      <ActionMessage message={message} />
    </section>
  )
}
