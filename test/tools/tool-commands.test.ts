/**
 * The tools through the same door as the UI: Inspector.handleCommand (IPC and the headless
 * WebSocket both call it), on a core built like the shells build it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { resolveSettings, startCore, type Core } from '../../src/main/core'
import { silentLogger } from '../../src/main/logger'
import type { GeneratorSpec, RecordingStatus, ReplayStatus, ToolStatus } from '../../src/shared/tools-api'
import { collectMessages, connectClient, freePort, waitFor } from '../helpers/broker-harness'

let dir: string
let core: Core | null = null

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-tools-'))
})

afterEach(async () => {
  await core?.stop()
  core = null
  rmSync(dir, { recursive: true, force: true })
})

async function start(): Promise<Core> {
  const resolved = resolveSettings(dir, { tcpPort: await freePort(), wsPort: 0, sysInterval: 0 })
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors))
  core = await startCore({ dataDir: dir, resolved: resolved.value, logger: silentLogger, version: 'test' })
  return core
}

const generator: GeneratorSpec = {
  name: 'cmd',
  topic: 'cmd/{{device}}',
  payload: '{{counter}}',
  qos: 1,
  retain: false,
  devices: 2,
  pace: { kind: 'interval', ms: 50 },
  stop: { kind: 'count', count: 3 }
}

describe('tool commands through the inspector', () => {
  it('save, preview, start a generator; its devices publish through our own listener; saved across a restart', async () => {
    const { inspector } = await start()
    const port = core!.listeners.find((l) => l.name === 'tcp')!.port
    const watcher = await connectClient({ url: () => `mqtt://127.0.0.1:${port}` } as never, 'tcp', { clientId: 'w' })
    await watcher.subscribeAsync('cmd/#', { qos: 1 })
    const seen = collectMessages(watcher)

    expect(await inspector.handleCommand('saveGenerator', [generator])).toEqual([generator])
    const preview = await inspector.handleCommand('previewGenerator', [generator])
    expect(preview).toEqual({
      ok: true,
      messages: [
        { device: 1, topic: 'cmd/1', payload: '1' },
        { device: 2, topic: 'cmd/2', payload: '1' },
        { device: 1, topic: 'cmd/1', payload: '2' }
      ]
    })
    const bad = await inspector.handleCommand('previewGenerator', [{ ...generator, payload: '{{nope}}' }])
    expect(bad).toMatchObject({ ok: false, problems: [{ field: 'payload', line: 1, column: 3 }] })
    await expect(inspector.handleCommand('startGenerator', [{ ...generator, payload: '{{nope}}' }])).rejects.toThrow(
      /startGenerator: payload 1:3: unknown function "nope"/
    )

    await inspector.handleCommand('startGenerator', [generator])
    await waitFor(() => seen.length >= 6, 'six messages', 5000)
    const status = (await inspector.handleCommand('toolStatus', [])) as ToolStatus
    await waitFor(() => core!.tools.status().generators[0].state === 'finished', 'the generator to finish')
    expect(status.generators[0]).toMatchObject({ name: 'cmd', devices: 2 })
    expect(seen.map((m) => m.topic).sort()).toEqual(['cmd/1', 'cmd/1', 'cmd/1', 'cmd/2', 'cmd/2', 'cmd/2'])
    await watcher.endAsync(true)

    await core!.stop()
    core = null
    const again = await start()
    expect(await again.inspector.handleCommand('listGenerators', [])).toEqual([generator])
    expect(JSON.parse(readFileSync(join(dir, 'generators.json'), 'utf8'))).toMatchObject({ version: 1, generators: [generator] })
  })

  it('record, list, replay through commands; bad arguments are refused with what was wrong', async () => {
    const { inspector } = await start()
    const port = core!.listeners.find((l) => l.name === 'tcp')!.port
    const url = `mqtt://127.0.0.1:${port}`
    const fakeTarget = { url: () => url } as never
    const recording = (await inspector.handleCommand('startRecording', [{ pcap: true }])) as RecordingStatus
    expect(recording).toMatchObject({ active: true, written: 0, notWritten: 0, maxBytes: 1024 * 1024 * 1024 })
    await expect(inspector.handleCommand('startRecording', [{ pcap: true }])).rejects.toThrow(/already running/)
    const publisher = await connectClient(fakeTarget, 'tcp', { clientId: 'p', protocolVersion: 5 })
    for (let i = 0; i < 5; i++) await publisher.publishAsync(`rec/${i}`, `m${i}`, { qos: 1 })
    await publisher.endAsync()
    const stopped = (await inspector.handleCommand('stopRecording', [])) as RecordingStatus
    expect(stopped).toMatchObject({ active: false, endReason: 'stopped' })
    expect(stopped.written).toBeGreaterThanOrEqual(12)
    const files = (await inspector.handleCommand('listRecordings', [])) as Array<{ name: string; pcap: boolean }>
    expect(files).toHaveLength(1)
    expect(files[0].pcap).toBe(true)

    const watcher = await connectClient(fakeTarget, 'tcp', { clientId: 'w2' })
    await watcher.subscribeAsync('again/#', { qos: 1 })
    const seen = collectMessages(watcher)
    const replay = (await inspector.handleCommand('startReplay', [
      { recording: files[0].name, speed: 0, addPrefix: 'again/' }
    ])) as ReplayStatus
    expect(replay.url).toBe(url)
    await waitFor(() => seen.length >= 5, 'the replayed messages', 5000)
    await waitFor(() => core!.tools.status().replay?.state === 'finished', 'the replay to finish', 5000)
    expect(seen.map((m) => [m.topic, m.payload.toString()])).toEqual([0, 1, 2, 3, 4].map((i) => [`again/rec/${i}`, `m${i}`]))
    await watcher.endAsync(true)

    await expect(inspector.handleCommand('startReplay', [{ recording: '../settings.json', speed: 1 }])).rejects.toThrow(
      /no recording named/
    )
    await expect(inspector.handleCommand('startReplay', [{ recording: files[0].name, speed: -1 }])).rejects.toThrow(
      /speed must be a number/
    )
    await expect(inspector.handleCommand('startReplay', [{ recording: files[0].name, bogus: 1 }])).rejects.toThrow(/unknown field "bogus"/)
    await expect(inspector.handleCommand('startRecording', [{}])).rejects.toThrow(/pcap must be true or false/)
    await expect(inspector.handleCommand('toolStatus', [1])).rejects.toThrow(/toolStatus takes 0 arguments, got 1/)
    await expect(inspector.handleCommand('pauseGenerator', ['none'])).rejects.toThrow(/no generator named "none"/)
  })
})
