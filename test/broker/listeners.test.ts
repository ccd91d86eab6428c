import { createServer, type Server } from 'node:net'
import mqtt from 'mqtt'
import WebSocket from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { silentLogger } from '../../src/main/logger'
import { freePort, startTestBroker, type TestBroker } from '../helpers/broker-harness'

describe('listeners', () => {
  let tb: TestBroker | null = null
  let blocker: Server | null = null
  afterEach(async () => {
    await tb?.close()
    tb = null
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()))
    blocker = null
  })

  it('a port in use is reported as a clear error, and the other listener still starts', async () => {
    const busy = await freePort()
    blocker = createServer()
    await new Promise<void>((resolve) => blocker!.listen(busy, '127.0.0.1', () => resolve()))
    const wsPort = await freePort()
    const broker = new Broker({ tcpPort: busy, wsPort, sysInterval: 0 }, { logger: silentLogger })
    const infos = await broker.start()
    try {
      expect(infos.find((i) => i.name === 'tcp')).toMatchObject({
        listening: false,
        error: `TCP port ${busy} on 127.0.0.1 is already in use`
      })
      expect(infos.find((i) => i.name === 'ws')).toMatchObject({ listening: true, error: null })
      const client = await mqtt.connectAsync(`ws://127.0.0.1:${wsPort}/mqtt`, { reconnectPeriod: 0 })
      await client.endAsync()
    } finally {
      await broker.stop()
    }
  })

  it('rebinds while running: a new TCP port takes connections, the old one stops, and WebSocket can be turned off', async () => {
    tb = await startTestBroker()
    const oldPort = tb.tcpPort
    const newPort = await freePort()
    const result = await tb.broker.updateSettings({ tcpPort: newPort, wsPort: 0, unixSocket: null })
    expect(result.ok).toBe(true)
    expect(tb.broker.listeners()).toEqual([{ name: 'tcp', host: '127.0.0.1', port: newPort, listening: true, error: null }])
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${newPort}`, { reconnectPeriod: 0 })
    await client.endAsync()
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${oldPort}`, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toThrow()
    await expect(mqtt.connectAsync(`ws://127.0.0.1:${tb.wsPort}/mqtt`, { reconnectPeriod: 0, connectTimeout: 1000 })).rejects.toThrow()
  })

  it('an invalid setting is refused with a message and changes nothing', async () => {
    tb = await startTestBroker()
    const before = tb.broker.getSettings()
    const result = await tb.broker.updateSettings({ tcpPort: 70000, maximumQos: 3 })
    expect(result).toEqual({
      ok: false,
      errors: [
        { key: 'tcpPort', message: 'tcpPort must be between 0 and 65535' },
        { key: 'maximumQos', message: 'maximumQos must be one of 0, 1, 2' }
      ]
    })
    expect(tb.broker.getSettings()).toEqual(before)
  })

  it('the WebSocket listener accepts the mqtt and mqttv3.1 subprotocols and only on its path', async () => {
    tb = await startTestBroker()
    for (const protocolId of ['MQTT', 'MQIsdp'] as const) {
      const client = await mqtt.connectAsync(tb.url('ws'), {
        reconnectPeriod: 0,
        protocolId,
        protocolVersion: protocolId === 'MQTT' ? 4 : 3
      })
      await client.endAsync()
    }
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${tb!.wsPort}/other`, 'mqtt')
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => resolve(-1))
    })
    expect(status).not.toBe(101)
  })
})
