/**
 * Issue 15 bug 6: the Topics detail showed the first 256 bytes of a large value with no way to
 * load the rest. latestPayload finds the whole latest payload wherever it is still held.
 */
import type { MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { Inspector, type InspectorOptions } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import type { BrokerSettings } from '../../src/shared/settings'
import { connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

let target: TestBroker | null = null
let inspector: Inspector | null = null
let client: MqttClient | null = null

afterEach(async () => {
  await client?.endAsync(true)
  inspector?.dispose()
  await target?.close()
  client = inspector = target = null
})

async function setUp(settings: Partial<BrokerSettings>, options: Partial<InspectorOptions> = {}): Promise<Inspector> {
  target = await startTestBroker(settings)
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore(), ...options })
  client = await connectClient(target, 'tcp')
  return inspector
}

const big = (marker: string): string => `${'x'.repeat(205_000)}${marker}`

async function publishAndWait(i: Inspector, topic: string, payload: string, retain = false): Promise<void> {
  await client!.publishAsync(topic, payload, { qos: 1, retain })
  await waitFor(() => i.snapshot().topics.some((t) => t.topic === topic && t.lastSize === payload.length), `${topic} recorded`)
}

const text = (answer: { payload: string } | null): string | null => (answer ? Buffer.from(answer.payload, 'base64').toString() : null)

describe('latestPayload', () => {
  it('from the history when it kept the payload', async () => {
    const i = await setUp({})
    await publishAndWait(i, 'big/a', big('A1'))
    expect(text(await i.handleCommand('latestPayload', ['big/a']))).toBe(big('A1'))
  })

  it('from the traffic log when the history did not keep it (history off)', async () => {
    const i = await setUp({ inspectorHistoryPerTopic: 0 })
    await publishAndWait(i, 'big/b', big('B1'))
    await publishAndWait(i, 'big/b', big('B2'))
    expect(text(await i.handleCommand('latestPayload', ['big/b']))).toBe(big('B2'))
  })

  it('from the retained message when neither holds it, and null when nothing does', async () => {
    // History off, and a traffic payload budget smaller than the message: only the retained store has it.
    const i = await setUp({ inspectorHistoryPerTopic: 0 }, { maxPayloadBytes: 100_000 })
    await publishAndWait(i, 'big/r', big('R1'), true)
    expect(text(await i.handleCommand('latestPayload', ['big/r']))).toBe(big('R1'))
    await publishAndWait(i, 'big/n', big('N1'))
    expect(await i.handleCommand('latestPayload', ['big/n'])).toBeNull()
    expect(await i.handleCommand('latestPayload', ['no/such/topic'])).toBeNull()
  })
})
