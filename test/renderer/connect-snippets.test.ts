/**
 * The connect help's snippets (issue 15, first run): the right host for this machine and for
 * devices, and commands that really reach the broker (mosquitto_sub/pub and paho run here).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectSnippets, connectTarget, isLoopbackHost } from '../../src/renderer/src/lib/connect-snippets'
import type { ListenerInfo } from '../../src/shared/broker-types'
import { collectMessages, connectClient, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

const run = promisify(execFile)

/** The first python3 with paho-mqtt (a pyenv python3 may shadow Debian's python3-paho-mqtt). */
async function pythonWithPaho(): Promise<string> {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      await run(python, ['-c', 'import paho.mqtt.publish'])
      return python
    } catch {
      // Try the next one.
    }
  }
  throw new Error('no python3 with paho-mqtt: apt-get install -y python3-paho-mqtt')
}
let target: TestBroker

beforeAll(async () => {
  target = await startTestBroker()
})
afterAll(async () => {
  await target.close()
})

const listeners = (tcp: number, ws: number): ListenerInfo[] => [
  { name: 'tcp', host: '127.0.0.1', port: tcp, listening: true, error: null },
  { name: 'ws', host: '127.0.0.1', port: ws, listening: true, error: null }
]

describe('connect snippets', () => {
  it('loopback: local snippets use it, devices cannot reach it', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true)
    expect(isLoopbackHost('0.0.0.0')).toBe(false)
    expect(connectTarget('127.0.0.1', ['192.168.1.20'])).toEqual({ local: '127.0.0.1', device: null, lan: '192.168.1.20' })
    expect(connectTarget('0.0.0.0', ['192.168.1.20'])).toEqual({ local: '127.0.0.1', device: '192.168.1.20', lan: '192.168.1.20' })
    expect(connectTarget('10.0.0.5', ['192.168.1.20'])).toMatchObject({ local: '10.0.0.5', device: '10.0.0.5' })
    const esp = (host: string) =>
      connectSnippets(connectTarget(host, ['192.168.1.20']), listeners(1883, 8083), '/mqtt').find((s) => s.id === 'esp32')
    expect(esp('0.0.0.0')?.code).toContain('client.setServer("192.168.1.20", 1883);')
    // Still on loopback: the address the ESP32 will need, and what to do first.
    expect(esp('127.0.0.1')?.code).toContain('client.setServer("192.168.1.20", 1883);')
    expect(esp('127.0.0.1')?.code).toContain('(allow LAN devices first)')
    const mqttjs = connectSnippets(connectTarget('127.0.0.1', []), listeners(1883, 8083), '/mqtt').find((s) => s.id === 'mqttjs')
    expect(mqttjs?.code).toContain("mqtt.connect('mqtt://127.0.0.1:1883')")
    expect(mqttjs?.code).toContain("mqtt.connect('ws://127.0.0.1:8083/mqtt')")
  })

  it('the mosquitto_pub and paho snippets, run as shown, reach the broker', async () => {
    const snippets = connectSnippets(connectTarget('127.0.0.1', []), listeners(target.tcpPort, target.wsPort), '/mqtt')
    const watcher = await connectClient(target, 'tcp')
    const got = collectMessages(watcher)
    await watcher.subscribeAsync('test/hello')
    const python = await pythonWithPaho()
    for (const id of ['mosquitto_pub', 'paho'] as const) {
      const code = snippets.find((s) => s.id === id)!.code
      await run('sh', ['-c', code.replace(/^python3 /, `${python} `)])
    }
    await waitFor(() => got.length === 2, 'both messages')
    expect(got.map((m) => m.payload.toString()).sort()).toEqual(['hello from mosquitto_pub', 'hello from paho'])
    await watcher.endAsync()
  })
})
