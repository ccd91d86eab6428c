/**
 * Issue 15, bug 2: "Headless records nothing while no page is open". The headless app is started
 * as the command line does (core.ts + the UI server), devices publish (mosquitto_pub and MQTT.js)
 * while no page is open, then a page opens the WebSocket API: the topic tree, its counts, the
 * per-topic history and the traffic log must show what was published before it came.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { resolveSettings, startCore, type Core } from '../../src/main/core'
import { startUiServer, type UiServer } from '../../src/main/headless/ui-server'
import { silentLogger } from '../../src/main/logger'
import type { InspectorSnapshot, TopicHistory, WsResponse } from '../../src/shared/api'
import { freePort } from '../helpers/broker-harness'

// Async: the broker runs in this process and must keep answering while mosquitto_pub talks to it.
const run = promisify(execFile)
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function headless(settings: Record<string, unknown> = {}): Promise<{ core: Core; ui: UiServer; tcpPort: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-no-ui-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const tcpPort = await freePort()
  const resolved = resolveSettings(dataDir, { sysInterval: 0, wsPort: 0, tcpPort, ...settings })
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.errors))
  const core = await startCore({ dataDir, resolved: resolved.value, logger: silentLogger, version: 'test' })
  cleanups.push(() => core.stop())
  const ui = await startUiServer(core.inspector, { port: 0, rendererDir: resolve('out/renderer') })
  cleanups.push(() => ui.close())
  return { core, ui, tcpPort }
}

/** A page opening the API: one call, its answer. */
async function callAsPage<T>(ui: UiServer, command: string, args: unknown[] = []): Promise<T> {
  const ws = new WebSocket(`ws://127.0.0.1:${ui.port}/api?token=${ui.token}`, { origin: `http://127.0.0.1:${ui.port}` })
  try {
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok())
      ws.once('error', fail)
    })
    const reply = new Promise<WsResponse>((ok) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as WsResponse | { event: string }
        if ('id' in message && message.id === 1) ok(message)
      })
    })
    ws.send(JSON.stringify({ id: 1, command, args }))
    const response = await reply
    if (!response.ok) throw new Error(response.error)
    return response.result as T
  } finally {
    ws.close()
  }
}

describe('headless, no page open (issue 15 bug 2)', () => {
  it('a page opened later sees the topics, exact counts, history and traffic of what was published before', async () => {
    const { core, ui, tcpPort } = await headless()
    expect(core.inspector.attached).toBe(false)
    // A device the way the issue reproduces it, while no page is open.
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tcpPort), '-t', 'late/unseen', '-m', 'x'])
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { clientId: 'sensor-7', reconnectPeriod: 0 })
    // Paced in groups of 40 (~60 packets with the PUBACKs) a batch window apart: the traffic log takes
    // at most maxTrafficRowsPerBatch (500) rows per 50 ms window (its flood gate), and unpaced these
    // 560 packets can all land in one window on a fast machine. This test is about no page being open.
    for (let i = 0; i < 372; i++) {
      await device.publishAsync(`late/count/${i % 4}`, JSON.stringify({ n: i }), { qos: i % 2 === 0 ? 0 : 1 })
      if (i % 40 === 39) await new Promise((resolve) => setTimeout(resolve, 60))
    }
    await device.endAsync()
    expect(core.inspector.attached).toBe(false)

    const snapshot = await callAsPage<InspectorSnapshot>(ui, 'snapshot')
    const topics = new Map(snapshot.topics.map((t) => [t.topic, t]))
    expect(topics.get('late/unseen')).toMatchObject({ messages: 1, lastPayload: Buffer.from('x').toString('base64') })
    const counted = [0, 1, 2, 3].reduce((sum, i) => sum + (topics.get(`late/count/${i}`)?.messages ?? 0), 0)
    expect(counted).toBe(372)
    const publishes = snapshot.traffic.filter((row) => row.type === 'publish' && row.direction === 'in')
    expect(publishes.some((row) => row.topic === 'late/unseen')).toBe(true)
    expect(publishes.filter((row) => row.topic?.startsWith('late/count/')).length).toBe(372)

    const history = await callAsPage<TopicHistory>(ui, 'topicHistory', ['late/count/3'])
    expect(history.entries.length).toBe(93)
    expect(history.entries.at(-1)).toMatchObject({ clientId: 'sensor-7', qos: 1, retain: false })
    expect(Buffer.from(history.entries.at(-1)?.preview ?? '', 'base64').toString()).toBe('{"n":371}')
  })

  it('with inspectorRecordWithoutUi false the traffic log waits for a page, the tree and history do not', async () => {
    const { ui, tcpPort } = await headless({ inspectorRecordWithoutUi: false })
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tcpPort), '-t', 'quiet/topic', '-m', 'y'])
    const snapshot = await callAsPage<InspectorSnapshot>(ui, 'snapshot')
    expect(snapshot.topics.find((t) => t.topic === 'quiet/topic')?.messages).toBe(1)
    expect(snapshot.traffic.some((row) => row.topic === 'quiet/topic')).toBe(false)
    const history = await callAsPage<TopicHistory>(ui, 'topicHistory', ['quiet/topic'])
    expect(history.entries.length).toBe(1)
  })
})
