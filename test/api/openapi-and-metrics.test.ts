import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import mqtt, { type MqttClient } from 'mqtt'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { afterEach, describe, expect, it } from 'vitest'
import { ManagementApi } from '../../src/main/api/api-service'
import { startApiServer } from '../../src/main/api/server'
import { silentLogger } from '../../src/main/logger'
import { freePort, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { startDurable, tempDataDir } from '../helpers/durable-broker'
import { type ApiHarness, send, startApiHarness } from './api-harness'

let h: ApiHarness | null = null
const clients: MqttClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => {})))
  await h?.close()
  h = null
})

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3 document (checked against the official schema) describing every endpoint', async () => {
    h = await startApiHarness()
    const response = await h.request('GET', '/api/v5/openapi.json')
    expect(response.status).toBe(200)
    const validator = new Validator()
    const result = await validator.validate(response.json)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)

    const operations = Object.entries(response.json.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)
    )
    expect(operations.sort()).toEqual(
      [
        'GET /api/v5/clients',
        'GET /api/v5/clients/{clientid}',
        'DELETE /api/v5/clients/{clientid}',
        'GET /api/v5/clients/{clientid}/subscriptions',
        'POST /api/v5/clients/{clientid}/subscribe',
        'POST /api/v5/clients/{clientid}/unsubscribe',
        'GET /api/v5/subscriptions',
        'GET /api/v5/mqtt/retainer/messages',
        'GET /api/v5/mqtt/retainer/message/{topic}',
        'DELETE /api/v5/mqtt/retainer/message/{topic}',
        'POST /api/v5/publish',
        'POST /api/v5/publish/bulk',
        'GET /api/v5/stats',
        'GET /api/v5/metrics',
        'GET /api/v5/prometheus/stats',
        'GET /api/v5/settings',
        'PUT /api/v5/settings',
        'GET /api/v5/users',
        'POST /api/v5/users',
        'DELETE /api/v5/users/{username}',
        'GET /api/v5/wills',
        'GET /metrics'
      ].sort()
    )
  })

  it('documents the schemas the server validates with (a setting’s range comes from SETTING_FIELDS)', async () => {
    h = await startApiHarness()
    const doc = (await h.request('GET', '/api/v5/openapi.json')).json
    const put = doc.paths['/api/v5/settings'].put.requestBody.content['application/json'].schema
    expect(put.properties.tcpPort).toMatchObject({ type: 'integer', minimum: 0, maximum: 65535 })
    expect(put.additionalProperties).toBe(false)
    // And the server enforces exactly that bound.
    expect((await h.request('PUT', '/api/v5/settings', { body: { tcpPort: 65536 } })).json.message).toBe('body.tcpPort: must be <= 65535')
    const publish = doc.paths['/api/v5/publish'].post.requestBody.content['application/json'].schema
    expect(publish.required).toEqual(['topic'])
    expect(publish.properties.qos.enum).toEqual([0, 1, 2])
  })
})

interface Family {
  name: string
  help: string
  type: string
  metrics: Array<{ value: string; labels?: Record<string, string> }>
}

function parse(text: string): Map<string, Family> {
  const families = parsePrometheusTextFormat(text) as Family[]
  return new Map(families.map((family) => [family.name, family]))
}

/**
 * The exposition format's grammar, line by line (prometheus.io/docs/instrumenting/exposition_formats),
 * on top of the parser (which is lenient): HELP then TYPE once per family, before its samples;
 * sample lines `name{label="value",…} number`.
 */
function checkExpositionGrammar(text: string): void {
  const sample =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|\+Inf|-Inf|NaN))$/
  const help = new Set<string>()
  const type = new Set<string>()
  const lines = text.split('\n')
  expect(lines.at(-1)).toBe('') // ends with a newline
  for (const line of lines.slice(0, -1)) {
    if (line === '') continue // empty lines are ignored by the format
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      const seen = meta[1] === 'HELP' ? help : type
      expect(seen.has(meta[2]), `${meta[1]} given twice for ${meta[2]}`).toBe(false)
      seen.add(meta[2])
      if (meta[1] === 'TYPE') expect(['counter', 'gauge']).toContain(meta[3])
      continue
    }
    const match = sample.exec(line)
    expect(match, `not a sample line: ${line}`).not.toBeNull()
    expect(help.has(match![1]) && type.has(match![1]), `${match![1]} has samples before its HELP and TYPE`).toBe(true)
  }
}

function value(families: Map<string, Family>, name: string, labels?: Record<string, string>): number {
  const family = families.get(name)
  if (!family) throw new Error(`no metric family ${name}`)
  const sample = family.metrics.find((m) => JSON.stringify(m.labels ?? {}) === JSON.stringify(labels ?? {}))
  if (!sample) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`)
  return Number(sample.value)
}

describe('Prometheus /metrics', () => {
  it('parses with a Prometheus text-format parser: HELP and TYPE for every family, values from the broker', async () => {
    h = await startApiHarness({ maxQueuedMessages: 1 })
    const sub = await mqtt.connectAsync(h.tb.url('tcp'), { reconnectPeriod: 0, clientId: 'slowpoke', clean: false })
    clients.push(sub)
    await sub.subscribeAsync('m/#', { qos: 1 })
    await sub.endAsync()
    clients.pop()
    const ws = await mqtt.connectAsync(h.tb.url('ws'), { reconnectPeriod: 0, clientId: 'web' })
    clients.push(ws)
    // Two QoS 1 messages for an offline session that may queue one: one is dropped as queue-full.
    h.tb.broker.publish({ topic: 'm/1', payload: 'a', qos: 1 })
    h.tb.broker.publish({ topic: 'm/2', payload: 'b', qos: 1 })
    await waitFor(() => h!.tb.broker.stats().droppedByReason['queue-full'] === 1, 'the drop')

    const response = await h.request('GET', '/metrics')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    checkExpositionGrammar(response.text)
    const families = parse(response.text)
    for (const family of families.values()) {
      expect(family.help.length, family.name).toBeGreaterThan(0)
      expect(['counter', 'gauge'], family.name).toContain(family.type.toLowerCase())
    }
    const stats = h.tb.broker.stats()
    expect(value(families, 'brokerscope_clients_connected')).toBe(1)
    expect(value(families, 'brokerscope_clients_disconnected')).toBe(1)
    expect(value(families, 'brokerscope_subscriptions')).toBe(1)
    expect(value(families, 'brokerscope_packets_received_total')).toBe(stats.messagesReceived)
    expect(value(families, 'brokerscope_dropped_total', { reason: 'queue-full' })).toBe(1)
    expect(value(families, 'brokerscope_dropped_total', { reason: 'expired' })).toBe(0)
    expect(value(families, 'brokerscope_limit_hits_total', { limit: 'maxQueuedMessages' })).toBe(stats.limitsHit.maxQueuedMessages)
    expect(value(families, 'brokerscope_listener_connections', { listener: 'ws' })).toBe(1)
    expect(value(families, 'brokerscope_listener_connections', { listener: 'tcp' })).toBe(0)
    expect(value(families, 'brokerscope_listener_up', { listener: 'unix' })).toBe(1)
    expect(families.get('brokerscope_packets_received_total')!.type.toLowerCase()).toBe('counter')

    // The API's own answers are counted by status (the scrape above is counted once it is answered).
    await h.request('GET', '/api/v5/clients', { auth: 'none' })
    const again = parse((await h.request('GET', '/metrics')).text)
    expect(value(again, 'brokerscope_api_responses_total', { code: '401' })).toBe(1)
    expect(value(again, 'brokerscope_api_responses_total', { code: '200' })).toBe(1)

    // EMQX's path gives the same families.
    const emqx = await h.request('GET', '/api/v5/prometheus/stats')
    expect([...parse(emqx.text).keys()].sort()).toEqual([...families.keys()].sort())
  })

  it('exports the durable store’s state when it is on', async () => {
    const data = tempDataDir()
    const durable = await startDurable(data.dir)
    const api = await startApiServer(durable.broker, { host: '127.0.0.1', port: 0, logger: silentLogger, version: 'test' })
    try {
      durable.broker.publish({ topic: 'kept/1', payload: 'x', retain: true, qos: 1 })
      durable.broker.publish({ topic: 'kept/2', payload: 'y', retain: true, qos: 1 })
      await waitFor(
        () => durable.broker.storeStatus().enabled && (durable.broker.storeStatus() as { retained: number }).retained === 2,
        'the store'
      )
      await durable.broker.updateSettings({ apiKey: 'store-test-key-0123456789' })
      const response = await send(api.url, 'GET', '/metrics', { auth: { authorization: 'Bearer store-test-key-0123456789' } })
      checkExpositionGrammar(response.text)
      const families = parse(response.text)
      expect(value(families, 'brokerscope_store_enabled')).toBe(1)
      expect(value(families, 'brokerscope_store_failing')).toBe(0)
      expect(value(families, 'brokerscope_store_retained_messages')).toBe(2)
      expect(value(families, 'brokerscope_store_size_bytes')).toBeGreaterThan(0)
      expect(value(families, 'brokerscope_store_commits_total')).toBeGreaterThan(0)
      expect(value(families, 'brokerscope_store_refusals_total')).toBe(0)
    } finally {
      await api.close()
      await durable.stop()
      data.cleanup()
    }
  })

  it('needs the API credentials unless metricsPublic is on (and then only /metrics paths are open)', async () => {
    h = await startApiHarness()
    expect((await h.request('GET', '/metrics', { auth: 'none' })).status).toBe(401)
    expect((await h.request('GET', '/metrics', { auth: 'basic' })).status).toBe(200)
    await h.tb.broker.updateSettings({ metricsPublic: true })
    expect((await h.request('GET', '/metrics', { auth: 'none' })).status).toBe(200)
    expect((await h.request('GET', '/api/v5/prometheus/stats', { auth: 'none' })).status).toBe(200)
    expect((await h.request('GET', '/api/v5/stats', { auth: 'none' })).status).toBe(401)
  })
})

describe('the API service (core.ts starts it)', () => {
  let tb: TestBroker | null = null
  let service: ManagementApi | null = null
  afterEach(async () => {
    await service?.stop()
    service = null
    await tb?.close()
    tb = null
  })

  it('is off at apiPort 0; turned on it makes a key; it follows port changes; 0 turns it off', async () => {
    tb = await startTestBroker()
    service = new ManagementApi(tb.broker, silentLogger)
    expect(await service.start()).toEqual({ url: null, error: null })
    expect(tb.broker.getSettings().apiKey).toBeNull()

    const sources: string[] = []
    tb.broker.events.on('settings.changed', (event) => {
      if (event.changed.includes('apiKey')) sources.push(event.source)
    })
    const port = await freePort()
    await tb.broker.updateSettings({ apiPort: port }, 'ui')
    await waitFor(() => service!.current().url !== null, 'the API to start')
    const key = tb.broker.getSettings().apiKey
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/)
    // Saved like a person's change (core.ts saves 'api' changes to settings.json).
    expect(sources).toEqual(['api'])
    const base = `http://127.0.0.1:${port}`
    expect((await send(base, 'GET', '/api/v5/clients', { auth: { authorization: `Bearer ${key}` } })).status).toBe(200)

    const other = await freePort()
    await tb.broker.updateSettings({ apiPort: other })
    await waitFor(() => service!.current().url === `http://127.0.0.1:${other}`, 'the API to move')
    expect((await send(`http://127.0.0.1:${other}`, 'GET', '/api/v5/stats', { auth: { authorization: `Bearer ${key}` } })).status).toBe(200)
    await expect(send(base, 'GET', '/api/v5/stats')).rejects.toThrow()
    // The key is made once: it stays when the port changes.
    expect(tb.broker.getSettings().apiKey).toBe(key)

    await tb.broker.updateSettings({ apiPort: 0 })
    await waitFor(() => service!.current().url === null, 'the API to stop')
    await expect(send(`http://127.0.0.1:${other}`, 'GET', '/api/v5/stats')).rejects.toThrow()
  })

  it('PUT /settings can move the API itself: the answer still arrives, then the new port serves', async () => {
    const port = await freePort()
    tb = await startTestBroker({ apiPort: port, apiKey: 'test-api-key-0123456789abcdef' })
    service = new ManagementApi(tb.broker, silentLogger)
    await service.start()
    const other = await freePort()
    const moved = await send(`http://127.0.0.1:${port}`, 'PUT', '/api/v5/settings', { body: { apiPort: other } })
    expect(moved.status).toBe(200)
    expect(moved.json.apiPort).toBe(other)
    await waitFor(() => service!.current().url === `http://127.0.0.1:${other}`, 'the API to move')
    expect((await send(`http://127.0.0.1:${other}`, 'GET', '/api/v5/settings')).json.apiPort).toBe(other)
  })

  it('a port in use is reported, not thrown', async () => {
    const blocker = await startTestBroker()
    try {
      tb = await startTestBroker({ apiPort: blocker.tcpPort, apiKey: 'k'.repeat(16) })
      service = new ManagementApi(tb.broker, silentLogger)
      const status = await service.start()
      expect(status).toEqual({ url: null, error: `API port ${blocker.tcpPort} on 127.0.0.1: is already in use` })
    } finally {
      await blocker.close()
    }
  })
})

describe('config print', () => {
  it('prints the effective settings as TOML, from defaults, settings.json, the file and the flags', async () => {
    const { configMain } = await import('../../src/main/headless/config-command')
    const folder = mkdtempSync(join(tmpdir(), 'bs-config-print-'))
    try {
      const file = join(folder, 'broker.toml')
      const { writeFileSync } = await import('node:fs')
      writeFileSync(file, 'tcpPort = 1999\nmaximumQos = 1\n')
      const out: string[] = []
      const err: string[] = []
      const code = await configMain(['print', '-c', file, '--data-dir', folder, '--ws-port', '0'], {
        stdout: (line) => void out.push(line),
        stderr: (line) => void err.push(line)
      })
      expect(err).toEqual([])
      expect(code).toBe(0)
      const text = out.join('\n')
      expect(text).toContain('tcpPort = 1999')
      expect(text).toContain('maximumQos = 1')
      expect(text).toContain('wsPort = 0')
      expect(text).toContain('host = "127.0.0.1"')
      const json5: string[] = []
      expect(
        await configMain(['print', '--format', 'json5', '-c', file, '--data-dir', folder], {
          stdout: (l) => void json5.push(l),
          stderr: () => {}
        })
      ).toBe(0)
      expect(json5.join('\n')).toContain('tcpPort: 1999')
      expect(await configMain(['print', '--format', 'yaml'], { stdout: () => {}, stderr: () => {} })).toBe(2)
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })
})
