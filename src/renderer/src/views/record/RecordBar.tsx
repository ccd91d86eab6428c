import { useEffect, useState, type JSX } from 'react'
import { getApi } from '../../api'
import { formatBytes, formatCount, formatDuration } from '../../lib/format'
import { errorText, useToolsStore } from '../simulate/tools-store'

/**
 * The Traffic view's Record button and the state of the recording: every packet goes to a JSON
 * Lines file (and a pcapng for Wireshark) in the data folder, not limited by the live log's ring.
 */
export function RecordBar(): JSX.Element {
  const recording = useToolsStore((s) => s.status?.recording ?? null)
  const [pcap, setPcap] = useState(true)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => useToolsStore.getState().watch(), [])

  const toggle = async (): Promise<void> => {
    setBusy(true)
    setError(null)
    try {
      if (recording?.active) await getApi().call('stopRecording')
      else await getApi().call('startRecording', { pcap })
    } catch (failure) {
      setError(`Recording failed: ${errorText(failure)}`)
    } finally {
      setBusy(false)
      await useToolsStore.getState().refresh()
    }
  }

  const active = recording?.active === true
  return (
    <div className={`record-bar ${active ? 'recording' : ''}`} data-testid="record-bar">
      <button
        type="button"
        className={active ? 'small danger' : 'small'}
        onClick={() => void toggle()}
        disabled={busy}
        data-testid="record-toggle"
      >
        {active ? '■ Stop recording' : '● Record'}
      </button>
      {!active && (
        <label className="field-inline small-text">
          <input type="checkbox" checked={pcap} onChange={(e) => setPcap(e.target.checked)} />
          also pcapng (Wireshark)
        </label>
      )}
      {recording && (
        <span className="small-text" data-testid="record-status">
          {active ? 'Recording' : `Recorded (${recording.endReason})`} to{' '}
          <span className="mono" data-testid="record-file">
            {recording.file}
          </span>
          {recording.pcapFile ? ' + .pcapng' : ''}: <span data-testid="record-written">{formatCount(recording.written)}</span> packets,{' '}
          {formatBytes(recording.bytes)}
          {active ? `, ${formatDuration(Date.now() - recording.startedAt)}` : ''}
          {recording.maxBytes > 0 || recording.maxSeconds > 0
            ? ` (caps: ${[recording.maxBytes > 0 ? formatBytes(recording.maxBytes) : '', recording.maxSeconds > 0 ? `${recording.maxSeconds} s` : ''].filter(Boolean).join(', ')})`
            : ''}
          {recording.notWritten > 0 && (
            <strong className="warning-text" data-testid="record-not-written">
              {' '}
              · {formatCount(recording.notWritten)} packets could not be written (the disk fell behind: recordBufferBytes)
            </strong>
          )}
        </span>
      )}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  )
}
