import { EventEmitter } from 'node:events'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { InspectorBatch } from '../../src/shared/api'
import { IPC_CHANNELS, type CallReply } from '../../src/shared/ipc-channels'
import { silentLogger } from '../../src/main/logger'

// A stand-in for Electron's ipcMain: the real module cannot load here (no Electron binary).
const fake = vi.hoisted(() => ({
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  listeners: new Map<string, (...args: unknown[]) => void>()
}))
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (...args: unknown[]) => unknown) => fake.handlers.set(channel, handler),
    removeHandler: (channel: string) => fake.handlers.delete(channel),
    on: (channel: string, listener: (...args: unknown[]) => void) => fake.listeners.set(channel, listener),
    removeListener: (channel: string) => fake.listeners.delete(channel)
  }
}))

const { InspectorIpc } = await import('../../src/main/app/ipc')

const APP_URL = 'file:///app/out/renderer/index.html'

class FakeWebContents extends EventEmitter {
  sent: Array<[string, unknown]> = []
  mainFrame = { parent: null, url: APP_URL }
  constructor(readonly id: number) {
    super()
  }
  isDestroyed(): boolean {
    return false
  }
  send(channel: string, value: unknown): void {
    this.sent.push([channel, value])
  }
}

function event(contents: FakeWebContents, frame: { parent: unknown; url: string } | null = contents.mainFrame) {
  return { sender: contents, senderFrame: frame }
}

function batch(seq: number): InspectorBatch {
  return {
    seq,
    time: seq,
    stats: {} as InspectorBatch['stats'],
    rates: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 },
    traffic: [],
    trafficNotShown: 0
  }
}

let emitBatch: (batch: InspectorBatch) => void
let commands: Array<[string, unknown[]]>
let window: FakeWebContents

function setup() {
  commands = []
  const inspector = {
    handleCommand: async (name: string, args: unknown[]) => {
      commands.push([name, args])
      if (name === 'deleteRetained') throw new Error('no such topic')
      return { name }
    },
    onBatch: (listener: (batch: InspectorBatch) => void) => {
      emitBatch = listener
      return () => {}
    }
  }
  const ipc = new InspectorIpc(inspector, { isAppUrl: (url) => url.startsWith(APP_URL), logger: silentLogger })
  ipc.register()
  window = new FakeWebContents(1)
  ipc.attach({ webContents: window } as never)
  return ipc
}

async function invoke(from: ReturnType<typeof event>, name: unknown, args: unknown): Promise<CallReply> {
  return (await fake.handlers.get(IPC_CHANNELS.call)!(from, name, args)) as CallReply
}

beforeEach(() => {
  fake.handlers.clear()
  fake.listeners.clear()
})

describe('InspectorIpc', () => {
  it('passes a valid call from the app window to the inspector', async () => {
    setup()
    expect(await invoke(event(window), 'snapshot', [])).toEqual({ ok: true, result: { name: 'snapshot' } })
    expect(commands).toEqual([['snapshot', []]])
  })

  it('returns the inspector error as a message', async () => {
    setup()
    expect(await invoke(event(window), 'deleteRetained', ['a'])).toEqual({ ok: false, error: 'no such topic' })
  })

  it('drops calls from other webContents, sub-frames and foreign pages before the inspector sees them', async () => {
    setup()
    const other = new FakeWebContents(2)
    expect(await invoke(event(other), 'snapshot', [])).toEqual({ ok: false, error: 'forbidden' })
    expect(await invoke(event(window, { parent: {}, url: APP_URL }), 'snapshot', [])).toEqual({ ok: false, error: 'forbidden' })
    expect(await invoke(event(window, { parent: null, url: 'https://evil.example/' }), 'snapshot', [])).toEqual({
      ok: false,
      error: 'forbidden'
    })
    expect(await invoke(event(window, null), 'snapshot', [])).toEqual({ ok: false, error: 'forbidden' })
    expect(commands).toEqual([])
  })

  it('refuses unknown commands and non-array arguments', async () => {
    setup()
    expect(await invoke(event(window), 'shutdown', [])).toEqual({ ok: false, error: 'unknown command "shutdown"' })
    expect(await invoke(event(window), 'publish', 'x')).toEqual({ ok: false, error: 'publish: arguments must be an array' })
    expect(commands).toEqual([])
  })

  it('holds batches until the renderer is ready, then sends them in order', () => {
    setup()
    emitBatch(batch(1))
    emitBatch(batch(2))
    expect(window.sent).toEqual([])
    fake.listeners.get(IPC_CHANNELS.ready)!(event(new FakeWebContents(9)))
    expect(window.sent).toEqual([])
    fake.listeners.get(IPC_CHANNELS.ready)!(event(window))
    emitBatch(batch(3))
    expect(window.sent.map(([channel, b]) => [channel, (b as InspectorBatch).seq])).toEqual([
      [IPC_CHANNELS.batch, 1],
      [IPC_CHANNELS.batch, 2],
      [IPC_CHANNELS.batch, 3]
    ])
  })

  it('keeps only the newest 100 batches while waiting', () => {
    setup()
    for (let seq = 1; seq <= 150; seq++) emitBatch(batch(seq))
    fake.listeners.get(IPC_CHANNELS.ready)!(event(window))
    expect(window.sent).toHaveLength(100)
    expect((window.sent[0]![1] as InspectorBatch).seq).toBe(51)
  })

  it('stops pushing when the page reloads, until it is ready again', () => {
    setup()
    fake.listeners.get(IPC_CHANNELS.ready)!(event(window))
    window.emit('did-start-loading')
    emitBatch(batch(1))
    expect(window.sent).toEqual([])
    fake.listeners.get(IPC_CHANNELS.ready)!(event(window))
    expect(window.sent).toHaveLength(1)
  })

  it('forgets the window once it is destroyed', async () => {
    setup()
    window.emit('destroyed')
    emitBatch(batch(1))
    expect(await invoke(event(window), 'snapshot', [])).toEqual({ ok: false, error: 'forbidden' })
  })

  it('dispose removes the channels', () => {
    const ipc = setup()
    ipc.dispose()
    expect(fake.handlers.size).toBe(0)
    expect(fake.listeners.size).toBe(0)
  })
})
