/**
 * Finding 3 of the security review (issue 16): the MQTT WebSocket listeners (ws and wss) check the
 * Origin of the upgrade. No Origin (devices, MQTT.js in Node) and loopback pages are served; any
 * other page gets HTTP 403 before the upgrade unless wsAllowedOrigins lists it ('*' = any, with a
 * warning). Refusals are counted (stats.refusedByReason['ws-origin']) and logged. Before the fix
 * every Origin was served.
 */
import { readFileSync } from 'node:fs'
import { connect as netConnect } from 'node:net'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Broker } from '../../src/main/broker/broker'
import { genCertMain } from '../../src/main/headless/gen-cert-command'
import { createLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'
import { validateSetting } from '../../src/shared/settings'
import { checkAllowedOrigins, isLoopbackOrigin, normalizeOrigin, originAllowed, parseAllowedOrigins } from '../../src/shared/ws-origins'
import { freePort } from '../helpers/broker-harness'
import { tempDir } from '../broker/auth/auth-helpers'

describe('Origin rules (src/shared/ws-origins.ts)', () => {
  it('normalises origins and knows loopback pages', () => {
    expect(normalizeOrigin('HTTPS://Dash.Example.com:443')).toBe('https://dash.example.com')
    expect(normalizeOrigin('http://10.0.0.5:3000')).toBe('http://10.0.0.5:3000')
    expect(normalizeOrigin('http://[::1]:80')).toBe('http://[::1]')
    for (const bad of ['null', '', 'dash.example.com', 'http://a/path', 'http://a:99999', 'http://a@b', 'http://a, http://b']) {
      expect(normalizeOrigin(bad), bad).toBeNull()
    }
    for (const local of [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
      'http://localhost',
      'https://localhost:8443'
    ]) {
      expect(isLoopbackOrigin(local), local).toBe(true)
    }
    for (const other of ['http://localhost.evil.example', 'http://127.0.0.2', 'http://evil.example', 'null', 'file://', 'ws://localhost']) {
      expect(isLoopbackOrigin(other), other).toBe(false)
    }
  })

  it('validates and applies wsAllowedOrigins', () => {
    expect(checkAllowedOrigins('')).toBeNull()
    expect(checkAllowedOrigins('*')).toBeNull()
    expect(checkAllowedOrigins('https://a.example, http://10.0.0.5:3000')).toBeNull()
    expect(checkAllowedOrigins('* https://a.example')).toMatch(/'\*' alone/)
    expect(checkAllowedOrigins('a.example')).toMatch(/not an origin/)
    expect(validateSetting('wsAllowedOrigins', 'https://a.example/path')).toMatchObject({ ok: false })

    const listed = parseAllowedOrigins('https://a.example,http://10.0.0.5:3000')
    expect(originAllowed(undefined, listed)).toBe(true)
    expect(originAllowed('http://localhost:1234', listed)).toBe(true)
    expect(originAllowed('https://A.example', listed)).toBe(true)
    expect(originAllowed('http://10.0.0.5:3000', listed)).toBe(true)
    expect(originAllowed('http://10.0.0.5:3001', listed)).toBe(false)
    expect(originAllowed('https://b.example', listed)).toBe(false)
    expect(originAllowed('null', listed)).toBe(false)
    expect(originAllowed('https://b.example', parseAllowedOrigins('*'))).toBe(true)
  })
})

describe('the ws and wss listeners', () => {
  let certs: ReturnType<typeof tempDir>
  let broker: Broker
  let wsPort: number
  let wssPort: number
  const logged: string[] = []
  const clients: MqttClient[] = []

  beforeAll(async () => {
    certs = tempDir('brokerscope-origin-')
    expect(genCertMain(['--out', certs.dir], { stdout: () => {}, stderr: () => {} })).toBe(0)
    ;[wsPort, wssPort] = [await freePort(), await freePort()]
    broker = new Broker(
      {
        sysInterval: 0,
        tcpPort: 0,
        wsPort,
        wssPort,
        certFile: join(certs.dir, 'cert.pem'),
        keyFile: join(certs.dir, 'key.pem')
      },
      { logger: createLogger('info', (line) => logged.push(line)) }
    )
    const infos = await broker.start()
    expect(infos.every((info) => info.listening)).toBe(true)
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})))
    await broker.updateSettings({ wsAllowedOrigins: '' })
  })
  afterAll(async () => {
    await broker.stop()
    certs.cleanup()
  })

  const url = (listener: 'ws' | 'wss'): string => (listener === 'ws' ? `ws://127.0.0.1:${wsPort}/mqtt` : `wss://localhost:${wssPort}/mqtt`)

  /** MQTT.js over WebSocket with this Origin header (none when undefined): 'connected', or 'closed' without a CONNACK. */
  async function tryConnect(listener: 'ws' | 'wss', origin: string | undefined): Promise<string> {
    const options: IClientOptions = { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 5 }
    if (listener === 'wss') options.ca = readFileSync(join(certs.dir, 'cert.pem'))
    if (origin !== undefined) options.wsOptions = { origin }
    const client = mqtt.connect(url(listener), options)
    clients.push(client)
    return new Promise((resolve) => {
      client.once('connect', () => resolve('connected'))
      client.once('close', () => resolve('closed'))
    })
  }

  /** The HTTP status of a WebSocket upgrade (ws library) with this Origin: 101 when it opened. */
  function upgradeStatus(listener: 'ws' | 'wss', origin: string): Promise<number> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url(listener), 'mqtt', { origin, ca: readFileSync(join(certs.dir, 'cert.pem')) })
      ws.once('open', () => {
        ws.terminate()
        resolve(101)
      })
      ws.once('unexpected-response', (request, response) => {
        request.destroy()
        resolve(response.statusCode ?? 0)
      })
      ws.once('error', () => resolve(-1))
    })
  }

  const refused = (): number => broker.stats().refusedByReason['ws-origin']

  for (const listener of ['ws', 'wss'] as const) {
    it(`${listener}: serves clients without an Origin and loopback pages`, async () => {
      for (const origin of [undefined, 'http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']) {
        expect(await tryConnect(listener, origin), String(origin)).toBe('connected')
      }
    })

    it(`${listener}: refuses any other page with 403 before the upgrade, counted and logged`, async () => {
      const before = refused()
      for (const origin of ['https://evil.example', 'null', 'http://localhost.evil.example:80', 'http://192.168.1.20:3000']) {
        expect(await tryConnect(listener, origin), origin).toBe('closed')
        expect(await upgradeStatus(listener, origin), origin).toBe(403)
      }
      expect(refused() - before).toBe(8)
      expect(
        logged.some((line) => line.includes(`${listener} listener: refused a WebSocket`) && line.includes('https://evil.example'))
      ).toBe(true)
    })

    it(`${listener}: serves the origins listed in wsAllowedOrigins, and any with '*' (with a warning)`, async () => {
      const set = await broker.updateSettings({ wsAllowedOrigins: 'https://dash.example.com, http://192.168.1.20:3000' })
      expect(set.ok).toBe(true)
      // Listed origins take effect at once, without restarting the listeners (no client is cut off).
      expect(set.listeners).toBeUndefined()
      expect(await tryConnect(listener, 'https://dash.example.com')).toBe('connected')
      expect(await tryConnect(listener, 'http://192.168.1.20:3000')).toBe('connected')
      expect(await tryConnect(listener, 'https://evil.example')).toBe('closed')
      logged.length = 0
      await broker.updateSettings({ wsAllowedOrigins: '*' })
      expect(logged.some((line) => line.includes('WARN') && line.includes("wsAllowedOrigins is '*'"))).toBe(true)
      expect(await tryConnect(listener, 'https://evil.example')).toBe('connected')
    })
  }

  it('a raw HTTP upgrade from another origin gets "403 Forbidden" and no MQTT', async () => {
    const response = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(wsPort, '127.0.0.1', () => {
        socket.write(
          [
            'GET /mqtt HTTP/1.1',
            `Host: 127.0.0.1:${wsPort}`,
            'Upgrade: websocket',
            'Connection: Upgrade',
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
            'Sec-WebSocket-Version: 13',
            'Sec-WebSocket-Protocol: mqtt',
            'Origin: https://evil.example',
            '',
            ''
          ].join('\r\n')
        )
      })
      let text = ''
      socket.on('data', (chunk) => (text += chunk.toString()))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    expect(response.startsWith('HTTP/1.1 403 Forbidden')).toBe(true)
    expect(response).not.toContain('101')
  })

  it('a bad wsAllowedOrigins is refused with a message that says what an origin is', async () => {
    const result = await broker.updateSettings({ wsAllowedOrigins: 'dash.example.com' } satisfies Partial<BrokerSettings>)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.errors[0].message).toMatch(/scheme:\/\/host\[:port\]/)
  })
})
