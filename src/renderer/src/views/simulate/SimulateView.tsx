import { useEffect, useState, type JSX } from 'react'
import type { GeneratorSpec, GeneratorStatus } from '../../../../shared/tools-api'
import { getApi } from '../../api'
import { ActionMessage, useActionMessage } from '../../components/ActionMessage'
import { formatCount } from '../../lib/format'
import { usePublishStore } from '../../store/publish-store'
import { ReplayPanel } from '../record/ReplayPanel'
import { buildGeneratorSpec, describePace, EMPTY_GENERATOR_FORM, formFromSaved, formFromSpec, type GeneratorForm } from './generator-form'
import { GeneratorEditor } from './GeneratorEditor'
import { errorText, useToolsStore } from './tools-store'
import './simulate.css'

/**
 * Simulated devices: generators of templated messages, each device a real MQTT connection to
 * this broker's own listener (so the ACL, the inspector and the other clients see devices), and
 * replay of recordings.
 */
export function SimulateView(): JSX.Element {
  const status = useToolsStore((s) => s.status)
  const generators = useToolsStore((s) => s.generators)
  const saved = usePublishStore((s) => s.saved)
  const [form, setForm] = useState<GeneratorForm>(EMPTY_GENERATOR_FORM)
  const [busy, setBusy] = useState(false)
  const [message, showMessage] = useActionMessage()

  useEffect(() => useToolsStore.getState().watch(), [])
  useEffect(() => {
    void useToolsStore.getState().loadGenerators()
    void usePublishStore.getState().loadSaved()
  }, [])

  const act = async (what: string, action: () => Promise<unknown>, done?: string): Promise<void> => {
    setBusy(true)
    try {
      await action()
      if (done) showMessage(true, done)
    } catch (error) {
      showMessage(false, `${what} failed: ${errorText(error)}`)
    } finally {
      setBusy(false)
      await useToolsStore.getState().refresh()
    }
  }

  const start = (spec: GeneratorSpec): Promise<void> =>
    act(
      'Start',
      async () => {
        // Starting a generator also saves it: generators are kept with the settings.
        useToolsStore.setState({ generators: await getApi().call('saveGenerator', spec) })
        await getApi().call('startGenerator', spec)
      },
      `Started “${spec.name}”`
    )

  const fromForm = (then: (spec: GeneratorSpec) => Promise<void>): void => {
    const built = buildGeneratorSpec(form)
    if (built.ok) void then(built.spec)
  }

  const byName = new Map<string, GeneratorStatus>((status?.generators ?? []).map((g) => [g.name, g]))
  const names = [...new Set([...generators.map((g) => g.name), ...byName.keys()])]

  return (
    <div className="view simulate-view">
      <div className="view-header">
        <h1>Simulate</h1>
        <span className="muted">
          Simulated devices are real MQTT clients of this broker: they show up in Clients, Traffic and the ACL applies to them.
        </span>
      </div>
      <ActionMessage message={message} />
      <section className="panel" aria-labelledby="generators-title">
        <h2 id="generators-title">Generators</h2>
        {names.length === 0 ? (
          <p className="muted">No generators yet. Started and saved generators are kept with the settings.</p>
        ) : (
          <table className="data-table generator-table" aria-label="Generators" data-testid="generator-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>State</th>
                <th className="num">Devices</th>
                <th className="num">Sent</th>
                <th className="num">Acked</th>
                <th className="num">Failed</th>
                <th className="num">Skipped</th>
                <th className="num">msg/s</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const spec = generators.find((g) => g.name === name)
                const s = byName.get(name)
                const running = s?.state === 'running' || s?.state === 'connecting'
                const paused = s?.state === 'paused'
                return (
                  <tr key={name} data-testid={`generator-${name}`}>
                    <td>
                      <strong>{name}</strong>
                      {spec && <div className="muted small-text">{describePace(spec)}</div>}
                      {s?.lastError && <div className="warning-text small-text">{s.lastError}</div>}
                    </td>
                    <td data-testid="generator-state">{s?.state ?? 'saved'}</td>
                    <td className="num">{s ? `${s.connected}/${s.devices}` : spec?.devices}</td>
                    <td className="num" data-testid="generator-sent">
                      {formatCount(s?.sent ?? 0)}
                    </td>
                    <td className="num" data-testid="generator-acknowledged">
                      {spec?.qos === 0 ? '–' : formatCount(s?.acknowledged ?? 0)}
                    </td>
                    <td className="num" data-testid="generator-failed">
                      {formatCount(s?.failed ?? 0)}
                    </td>
                    <td className="num">{formatCount(s?.skipped ?? 0)}</td>
                    <td className="num">{formatCount(s?.rate ?? 0)}</td>
                    <td className="generator-actions">
                      {running && (
                        <button
                          type="button"
                          className="small"
                          disabled={busy}
                          onClick={() => void act('Pause', () => getApi().call('pauseGenerator', name))}
                        >
                          Pause
                        </button>
                      )}
                      {paused && (
                        <button
                          type="button"
                          className="small"
                          disabled={busy}
                          onClick={() => void act('Resume', () => getApi().call('resumeGenerator', name))}
                        >
                          Resume
                        </button>
                      )}
                      {(running || paused) && (
                        <button
                          type="button"
                          className="small"
                          disabled={busy}
                          onClick={() => void act('Stop', () => getApi().call('stopGenerator', name), `Stopped “${name}”`)}
                        >
                          Stop
                        </button>
                      )}
                      {!running && !paused && spec && (
                        <button type="button" className="small primary" disabled={busy} onClick={() => void start(spec)}>
                          Start
                        </button>
                      )}
                      {spec && (
                        <button type="button" className="small" onClick={() => setForm(formFromSpec(spec))}>
                          Edit
                        </button>
                      )}
                      {spec && !running && !paused && (
                        <button
                          type="button"
                          className="small danger"
                          disabled={busy}
                          onClick={() =>
                            void act('Delete', async () =>
                              useToolsStore.setState({ generators: await getApi().call('deleteGenerator', name) })
                            )
                          }
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </section>
      <div className="simulate-layout">
        <GeneratorEditor
          form={form}
          onChange={(patch) => setForm((f) => ({ ...f, ...patch }))}
          busy={busy}
          onStart={() => fromForm(start)}
          onSave={() =>
            fromForm((spec) =>
              act(
                'Save',
                async () => useToolsStore.setState({ generators: await getApi().call('saveGenerator', spec) }),
                `Saved “${spec.name}”`
              )
            )
          }
        />
        <div className="simulate-side">
          <section className="panel" aria-labelledby="saved-as-generator-title">
            <h2 id="saved-as-generator-title">Saved messages as generators</h2>
            {saved.length === 0 ? (
              <p className="muted">Messages saved in the Publish view can be sent here on a schedule.</p>
            ) : (
              <ul className="message-list" aria-label="Saved messages to simulate">
                {saved.map((m) => (
                  <li key={m.name}>
                    <div className="message-summary">
                      <strong className="ellipsis">{m.name}</strong>
                      <span className="mono ellipsis muted">{m.topic}</span>
                    </div>
                    <button
                      type="button"
                      className="small"
                      onClick={() => {
                        const made = formFromSaved(m)
                        if (made.ok) setForm(made.form)
                        else showMessage(false, made.error)
                      }}
                    >
                      Edit as generator
                    </button>
                    <button
                      type="button"
                      className="small primary"
                      disabled={busy}
                      onClick={() => {
                        const made = formFromSaved(m)
                        const built = made.ok ? buildGeneratorSpec(made.form) : null
                        if (!made.ok) showMessage(false, made.error)
                        else if (built?.ok) void start(built.spec)
                      }}
                    >
                      Start every 1 s
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      </div>
      <ReplayPanel />
    </div>
  )
}
