import { readFileSync } from 'node:fs'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { collectMessages, nextPacket, waitFor } from '../helpers/broker-harness'
import { ALICE, API_KEY, type ApiHarness, startApiHarness } from './api-harness'

/** Every endpoint over real HTTP: authorized, unauthorized, bad input. */
let h: ApiHarness | null = null
const clients: MqttClient[] = []

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true).catch(() => {})))
  await h?.close()
  h = null
})

async function start(settings = {}): Promise<ApiHarness> {
  h = await startApiHarness(settings)
  return h
}

async function client(options: IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(h!.tb.url('tcp'), { reconnectPeriod: 0, ...options })
  c.on('error', () => {})
  clients.push(c)
  return c
}

describe('access', () => {
  it('every endpoint answers 401 without valid credentials, and nothing changes', async () => {
    await start()
    const sub = await client({ clientId: 'victim', protocolVersion: 5 })
    await sub.subscribeAsync('t/#', { qos: 1 })
    const received = collectMessages(sub)
    h!.tb.broker.publish({ topic: 'kept', payload: 'x', retain: true })
    const settingsBefore = h!.tb.broker.getSettings()
    const authBefore = readFileSync(h!.authFile, 'utf8')

    const requests: Array<[string, string, unknown?]> = [
      ['GET', '/api/v5/clients'],
      ['GET', '/api/v5/clients/victim'],
      ['DELETE', '/api/v5/clients/victim'],
      ['GET', '/api/v5/clients/victim/subscriptions'],
      ['POST', '/api/v5/clients/victim/subscribe', { topic: 'x', qos: 0 }],
      ['POST', '/api/v5/clients/victim/unsubscribe', { topic: 't/#' }],
      ['GET', '/api/v5/subscriptions'],
      ['GET', '/api/v5/mqtt/retainer/messages'],
      ['GET', '/api/v5/mqtt/retainer/message/kept'],
      ['DELETE', '/api/v5/mqtt/retainer/message/kept'],
      ['POST', '/api/v5/publish', { topic: 't/1', payload: 'no' }],
      ['POST', '/api/v5/publish/bulk', [{ topic: 't/1', payload: 'no' }]],
      ['GET', '/api/v5/stats'],
      ['GET', '/api/v5/metrics'],
      ['GET', '/api/v5/settings'],
      ['PUT', '/api/v5/settings', { maximumQos: 0 }],
      ['GET', '/api/v5/users'],
      ['POST', '/api/v5/users', { username: 'mallory', password: 'x' }],
      ['DELETE', '/api/v5/users/alice'],
      ['GET', '/api/v5/wills'],
      ['GET', '/api/v5/openapi.json'],
      ['GET', '/api/v5/prometheus/stats'],
      ['GET', '/metrics'],
      ['GET', '/api/v5/no-such-thing']
    ]
    const wrong = [
      'none',
      { authorization: 'Bearer not-the-key-at-all-1234' },
      { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` },
      { authorization: `Basic ${Buffer.from('nobody:wonderland').toString('base64')}` },
      { authorization: `Token ${API_KEY}` }
    ] as const
    for (const auth of wrong) {
      for (const [method, path, body] of requests) {
        const response = await h!.request(method, path, { body, auth })
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 })
        expect(response.json.code).toBe('UNAUTHORIZED')
        expect(response.headers.get('www-authenticate')).toContain('Basic')
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(received).toEqual([])
    expect(sub.connected).toBe(true)
    expect(h!.tb.broker.listSubscriptions().map((s) => s.filter)).toEqual(['t/#'])
    expect(h!.tb.broker.getRetained('kept')).not.toBeNull()
    expect(h!.tb.broker.getSettings()).toEqual(settingsBefore)
    expect(readFileSync(h!.authFile, 'utf8')).toBe(authBefore)
  })

  it('the bearer key and basic auth with a user of the auth file both work', async () => {
    await start()
    expect((await h!.request('GET', '/api/v5/clients')).status).toBe(200)
    expect((await h!.request('GET', '/api/v5/clients', { auth: 'basic' })).status).toBe(200)
  })

  it('another Origin gets 403 even with the key; the API’s own origin and no Origin are fine', async () => {
    await start()
    const evil = await h!.request('GET', '/api/v5/clients', { headers: { origin: 'http://evil.example' } })
    expect(evil.status).toBe(403)
    expect(evil.json).toEqual({ code: 'FORBIDDEN', message: 'requests from the origin http://evil.example are refused' })
    const published = await h!.request('POST', '/api/v5/publish', { body: { topic: 'x', payload: 'y' }, headers: { origin: 'null' } })
    expect(published.status).toBe(403)
    const own = await h!.request('GET', '/api/v5/clients', { headers: { origin: h!.api.url } })
    expect(own.status).toBe(200)
  })

  it('unknown paths are 404 in JSON; bad JSON is 400', async () => {
    await start()
    const missing = await h!.request('GET', '/api/v5/nothing/here')
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ code: 'NOT_FOUND', message: 'no such endpoint: GET /api/v5/nothing/here' })
    const bad = await h!.request('POST', '/api/v5/publish', { rawBody: '{"topic": ' })
    expect(bad.status).toBe(400)
    expect(bad.json.code).toBe('BAD_REQUEST')
    expect(bad.json.message).toMatch(/^body is not valid JSON/)
  })
})

describe('clients', () => {
  it('lists with filters and pages (meta.count before paging)', async () => {
    await start()
    await client({ clientId: 'sensor-1', username: ALICE.username, password: ALICE.password })
    await client({ clientId: 'sensor-2' })
    const offline = await client({ clientId: 'pump-1', clean: false, protocolVersion: 4 })
    await offline.endAsync()
    await waitFor(() => h!.tb.broker.listClients().filter((c) => c.connected).length === 2, 'pump-1 to go offline')

    const all = await h!.request('GET', '/api/v5/clients')
    expect(all.status).toBe(200)
    expect(all.json.meta).toEqual({ page: 1, limit: 100, count: 3, hasnext: false })
    expect(all.json.data.map((c: { clientid: string }) => c.clientid)).toEqual(['pump-1', 'sensor-1', 'sensor-2'])
    const first = all.json.data[1]
    expect(first).toMatchObject({
      clientid: 'sensor-1',
      username: 'alice',
      connected: true,
      conn_state: 'connected',
      ip_address: '127.0.0.1',
      listener: 'tcp',
      proto_name: 'MQTT',
      proto_ver: 4,
      node: expect.any(String)
    })
    expect(Date.parse(first.connected_at)).toBeGreaterThan(0)

    const page = await h!.request('GET', '/api/v5/clients?page=2&limit=2')
    expect(page.json.meta).toEqual({ page: 2, limit: 2, count: 3, hasnext: false })
    expect(page.json.data.map((c: { clientid: string }) => c.clientid)).toEqual(['sensor-2'])
    const firstPage = await h!.request('GET', '/api/v5/clients?limit=2')
    expect(firstPage.json.meta.hasnext).toBe(true)

    const like = await h!.request('GET', '/api/v5/clients?like_clientid=sensor&conn_state=connected')
    expect(like.json.data.map((c: { clientid: string }) => c.clientid)).toEqual(['sensor-1', 'sensor-2'])
    const byUser = await h!.request('GET', '/api/v5/clients?username=alice')
    expect(byUser.json.meta.count).toBe(1)
    const gone = await h!.request('GET', '/api/v5/clients?conn_state=disconnected')
    expect(gone.json.data.map((c: { clientid: string }) => c.clientid)).toEqual(['pump-1'])
    expect(gone.json.data[0].conn_state).toBe('disconnected')
    const exact = await h!.request('GET', '/api/v5/clients?clientid=sensor-2')
    expect(exact.json.meta.count).toBe(1)
  })

  it('bad paging and unknown filters are 400, naming the parameter', async () => {
    await start()
    const zero = await h!.request('GET', '/api/v5/clients?page=0')
    expect(zero.status).toBe(400)
    expect(zero.json.message).toBe('querystring.page: must be >= 1')
    const state = await h!.request('GET', '/api/v5/clients?conn_state=sleeping')
    expect(state.json.message).toBe('querystring.conn_state: must be one of "connected", "disconnected"')
    const unknown = await h!.request('GET', '/api/v5/clients?colour=red')
    expect(unknown.json.message).toBe('querystring.colour: is not a known field')
  })

  it('GET one client, 404 for an unknown one; DELETE kicks (v5 DISCONNECT 0x98), then removes the offline session', async () => {
    await start()
    const c = await client({ clientId: 'kick-me', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 300 } })
    const one = await h!.request('GET', '/api/v5/clients/kick-me')
    expect(one.status).toBe(200)
    expect(one.json).toMatchObject({ clientid: 'kick-me', proto_ver: 5, expiry_interval: 300 })
    const unknown = await h!.request('GET', '/api/v5/clients/nobody')
    expect(unknown.status).toBe(404)
    expect(unknown.json).toEqual({ code: 'CLIENTID_NOT_FOUND', message: 'no client or session "nobody"' })

    const disconnect = nextPacket<{ cmd: 'disconnect'; reasonCode?: number }>(c, 'disconnect')
    const kicked = await h!.request('DELETE', '/api/v5/clients/kick-me')
    expect(kicked.status).toBe(204)
    expect(kicked.text).toBe('')
    expect((await disconnect).reasonCode).toBe(0x98)
    await waitFor(() => h!.tb.broker.getClient('kick-me')?.connected === false, 'the kicked client to be offline')
    expect((await h!.request('DELETE', '/api/v5/clients/kick-me')).status).toBe(204)
    expect(h!.tb.broker.getClient('kick-me')).toBeNull()
    expect((await h!.request('DELETE', '/api/v5/clients/kick-me')).status).toBe(404)
  })

  it('subscribe and unsubscribe a client; its subscriptions; bad filters and bodies are 400', async () => {
    await start()
    const c = await client({ clientId: 'worker', protocolVersion: 5 })
    const received = collectMessages(c)
    const sub = await h!.request('POST', '/api/v5/clients/worker/subscribe', { body: { topic: 'jobs/+', qos: 1, nl: 1 } })
    expect(sub.status).toBe(200)
    expect(sub.json).toEqual({ clientid: 'worker', topic: 'jobs/+', qos: 1 })
    h!.tb.broker.publish({ topic: 'jobs/1', payload: 'do it', qos: 1 })
    await waitFor(() => received.length === 1, 'the message on the API-made subscription')
    expect(received[0].payload.toString()).toBe('do it')

    const list = await h!.request('GET', '/api/v5/clients/worker/subscriptions')
    expect(list.json).toEqual([
      { clientid: 'worker', topic: 'jobs/+', qos: 1, nl: 1, rap: 0, rh: 0, share_group: null, node: expect.any(String) }
    ])

    const badFilter = await h!.request('POST', '/api/v5/clients/worker/subscribe', { body: { topic: 'a/#/b', qos: 0 } })
    expect(badFilter.status).toBe(400)
    expect(badFilter.json.message).toMatch(/^topic: topic filter /)
    const badQos = await h!.request('POST', '/api/v5/clients/worker/subscribe', { body: { topic: 'a', qos: 3 } })
    expect(badQos.json.message).toBe('body.qos: must be one of 0, 1, 2')
    const noTopic = await h!.request('POST', '/api/v5/clients/worker/subscribe', { body: { qos: 1 } })
    expect(noTopic.json.message).toBe('body.topic: is required')
    const stringQos = await h!.request('POST', '/api/v5/clients/worker/subscribe', { body: { topic: 'a', qos: '1' } })
    expect(stringQos.status).toBe(400)
    expect((await h!.request('POST', '/api/v5/clients/nobody/subscribe', { body: { topic: 'a' } })).status).toBe(404)

    const unsub = await h!.request('POST', '/api/v5/clients/worker/unsubscribe', { body: { topic: 'jobs/+' } })
    expect(unsub.status).toBe(204)
    expect(h!.tb.broker.listSubscriptions()).toEqual([])
    expect((await h!.request('POST', '/api/v5/clients/worker/unsubscribe', { body: { topic: 'jobs/+' } })).status).toBe(404)
  })

  it('GET /wills lists the clients holding a will (PMQ)', async () => {
    await start()
    await client({ clientId: 'with-will', will: { topic: 'status/with-will', payload: Buffer.from('offline'), qos: 1, retain: true } })
    await client({ clientId: 'no-will' })
    const wills = await h!.request('GET', '/api/v5/wills')
    expect(wills.status).toBe(200)
    expect(wills.json).toEqual([
      {
        clientid: 'with-will',
        connected: true,
        topic: 'status/with-will',
        payload: Buffer.from('offline').toString('base64'),
        qos: 1,
        retain: true,
        delay_interval: 0
      }
    ])
  })
})

describe('subscriptions and retained messages', () => {
  it('GET /subscriptions filters by client, topic, qos, share group and matching topic', async () => {
    await start()
    const a = await client({ clientId: 'a', protocolVersion: 5 })
    const b = await client({ clientId: 'b', protocolVersion: 5 })
    await a.subscribeAsync({ 'x/#': { qos: 1 }, y: { qos: 0 } })
    await b.subscribeAsync('$share/g/x/+', { qos: 2 })
    const all = await h!.request('GET', '/api/v5/subscriptions')
    expect(all.json.meta.count).toBe(3)
    expect((await h!.request('GET', '/api/v5/subscriptions?clientid=a')).json.meta.count).toBe(2)
    expect((await h!.request('GET', '/api/v5/subscriptions?qos=2')).json.data).toEqual([
      { clientid: 'b', topic: '$share/g/x/+', qos: 2, nl: 0, rap: 0, rh: 0, share_group: 'g', node: expect.any(String) }
    ])
    const matching = await h!.request('GET', '/api/v5/subscriptions?match_topic=x/1')
    expect(matching.json.data.map((s: { topic: string }) => s.topic).sort()).toEqual(['$share/g/x/+', 'x/#'])
    expect((await h!.request('GET', '/api/v5/subscriptions?share_group=g')).json.meta.count).toBe(1)
    expect((await h!.request('GET', '/api/v5/subscriptions?qos=5')).status).toBe(400)
  })

  it('retainer: list, read one (base64; the topic URL-encoded), delete, 404', async () => {
    await start()
    h!.tb.broker.publish({ topic: 'a/b', payload: Buffer.from([0, 1, 2, 255]), retain: true, qos: 1 })
    h!.tb.broker.publish({ topic: 'c', payload: 'text', retain: true })
    const list = await h!.request('GET', '/api/v5/mqtt/retainer/messages')
    expect(list.json.meta.count).toBe(2)
    expect(list.json.data[0]).toMatchObject({ topic: 'a/b', qos: 1, payload_size: 4 })
    const one = await h!.request('GET', '/api/v5/mqtt/retainer/message/a%2Fb')
    expect(one.status).toBe(200)
    expect(Buffer.from(one.json.payload, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]))
    expect((await h!.request('DELETE', '/api/v5/mqtt/retainer/message/a%2Fb')).status).toBe(204)
    expect(h!.tb.broker.getRetained('a/b')).toBeNull()
    const missing = await h!.request('GET', '/api/v5/mqtt/retainer/message/a%2Fb')
    expect(missing.status).toBe(404)
    expect(missing.json.code).toBe('NOT_FOUND')
    expect((await h!.request('DELETE', '/api/v5/mqtt/retainer/message/a%2Fb')).status).toBe(404)
  })
})

describe('publish', () => {
  it('200 when delivered, with v5 properties and base64 payloads; 202 with reason 16 when nobody subscribed', async () => {
    await start()
    const sub = await client({ clientId: 'listener', protocolVersion: 5 })
    await sub.subscribeAsync('news/#', { qos: 1 })
    const received = collectMessages(sub)
    const ok = await h!.request('POST', '/api/v5/publish', {
      body: {
        topic: 'news/today',
        payload: 'aGVsbG8=',
        payload_encoding: 'base64',
        qos: 1,
        retain: true,
        properties: {
          content_type: 'text/plain',
          user_properties: { source: 'api', tag: ['a', 'b'] },
          message_expiry_interval: 60,
          payload_format_indicator: 1,
          response_topic: 'replies/1',
          correlation_data: Buffer.from('c-1').toString('base64')
        }
      }
    })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual({ id: expect.any(String) })
    await waitFor(() => received.length === 1, 'the published message')
    const { packet } = received[0]
    expect(received[0].payload.toString()).toBe('hello')
    expect(packet.qos).toBe(1)
    expect(packet.properties).toMatchObject({
      contentType: 'text/plain',
      userProperties: { source: 'api', tag: ['a', 'b'] },
      payloadFormatIndicator: true,
      responseTopic: 'replies/1'
    })
    expect(Buffer.from(packet.properties!.correlationData!).toString()).toBe('c-1')
    expect(h!.tb.broker.getRetained('news/today')).not.toBeNull()

    const none = await h!.request('POST', '/api/v5/publish', { body: { topic: 'nobody/listens', payload: 'x' } })
    expect(none.status).toBe(202)
    expect(none.json).toEqual({ id: expect.any(String), reason_code: 16, message: 'no_matching_subscribers' })
  })

  it('bad input is 400, naming the field, and publishes nothing — checked in UTF-8 bytes', async () => {
    await start()
    const sub = await client({ clientId: 'watcher' })
    await sub.subscribeAsync('#')
    const received = collectMessages(sub)
    const cases: Array<[unknown, string | RegExp]> = [
      [{ payload: 'x' }, 'body.topic: is required'],
      [{ topic: 'a/+', payload: 'x' }, 'body.topic: must not contain wildcards (+ or #)'],
      [{ topic: 'a', qos: 3 }, 'body.qos: must be one of 0, 1, 2'],
      [{ topic: 'a', retain: 'yes' }, 'body.retain: must be boolean'],
      [{ topic: 'a', colour: 'red' }, 'body.colour: is not a known field'],
      [{ topic: 'a', payload: '@@@', payload_encoding: 'base64' }, 'body.payload: is not base64 (payload_encoding is base64)'],
      [{ topic: 'a', payload_encoding: 'hex' }, 'body.payload_encoding: must be one of "plain", "base64"'],
      // 40,000 characters, 80,000 bytes in UTF-8: over the 65,535-byte limit of an MQTT string.
      [
        { topic: 'a', properties: { content_type: 'é'.repeat(40000) } },
        'body.properties.content_type: is 80000 bytes in UTF-8; at most 65535'
      ],
      [
        { topic: 'a', properties: { user_properties: { k: 'nul\u0000here' } } },
        'body.properties.user_properties.k: must not contain U+0000'
      ],
      [{ topic: 'a', properties: { response_topic: 'r/#' } }, 'body.properties.response_topic: must be a topic name, without + or #'],
      [
        { topic: 'a', properties: { content_type: '\ud800' } },
        'body.properties.content_type: is not valid UTF-8 (it has a lone surrogate)'
      ],
      [{ topic: 'a', properties: { message_expiry_interval: -1 } }, 'body.properties.message_expiry_interval: must be >= 0'],
      [{ topic: 'é'.repeat(33000) }, /^body\.topic: is 66000 bytes in UTF-8/]
    ]
    for (const [body, message] of cases) {
      const response = await h!.request('POST', '/api/v5/publish', { body })
      expect({ body: JSON.stringify(body).slice(0, 60), status: response.status }).toEqual({
        body: JSON.stringify(body).slice(0, 60),
        status: 400
      })
      expect(response.json.code).toBe('BAD_REQUEST')
      if (typeof message === 'string') expect(response.json.message).toBe(message)
      else expect(response.json.message).toMatch(message)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(received).toEqual([])
  })

  it('bulk: all checked before any is sent; 200 if any was delivered, 202 if none', async () => {
    await start()
    const sub = await client({ clientId: 'bulk' })
    await sub.subscribeAsync('b/#')
    const received = collectMessages(sub)
    const bad = await h!.request('POST', '/api/v5/publish/bulk', { body: [{ topic: 'b/1', payload: '1' }, { topic: 'b/#' }] })
    expect(bad.status).toBe(400)
    expect(bad.json.message).toBe('body/1.topic: must not contain wildcards (+ or #)')
    const schema = await h!.request('POST', '/api/v5/publish/bulk', { body: [{ topic: 'b/1' }, { topic: 'b/2', qos: 7 }] })
    expect(schema.json.message).toBe('body.1.qos: must be one of 0, 1, 2')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(received).toEqual([])

    const ok = await h!.request('POST', '/api/v5/publish/bulk', {
      body: [
        { topic: 'b/1', payload: '1' },
        { topic: 'elsewhere', payload: '2' }
      ]
    })
    expect(ok.status).toBe(200)
    expect(ok.json).toEqual([{ id: expect.any(String) }, { id: expect.any(String), reason_code: 16, message: 'no_matching_subscribers' }])
    await waitFor(() => received.length === 1, 'the bulk message')
    const none = await h!.request('POST', '/api/v5/publish/bulk', { body: [{ topic: 'elsewhere' }] })
    expect(none.status).toBe(202)
    expect((await h!.request('POST', '/api/v5/publish/bulk', { body: [] })).status).toBe(400)
  })
})

describe('stats, metrics and settings', () => {
  it('GET /stats and /metrics: EMQX names, per node or aggregated', async () => {
    await start()
    const c = await client({ clientId: 'counted' })
    await c.subscribeAsync('s')
    await c.publishAsync('s', 'x')
    await waitFor(() => h!.tb.broker.stats().publishSent === 1, 'the delivery')
    const perNode = await h!.request('GET', '/api/v5/stats')
    expect(perNode.json).toHaveLength(1)
    expect(perNode.json[0]).toMatchObject({ node: expect.any(String), 'connections.count': 1, 'subscriptions.count': 1 })
    const stats = await h!.request('GET', '/api/v5/stats?aggregate=true')
    expect(stats.json).toMatchObject({ 'connections.count': 1, 'sessions.count': 1, 'retained.count': 0 })
    const metrics = await h!.request('GET', '/api/v5/metrics?aggregate=true')
    expect(metrics.json).toMatchObject({
      'messages.received': 1,
      'messages.sent': 1,
      'messages.dropped': 0,
      'messages.dropped.queue-full': 0
    })
    expect((await h!.request('GET', '/api/v5/stats?aggregate=maybe')).status).toBe(400)
  })

  it('GET /settings leaves the API key out; PUT validates like the UI and applies with source "api"', async () => {
    await start()
    const got = await h!.request('GET', '/api/v5/settings')
    expect(got.status).toBe(200)
    expect(got.json.maximumQos).toBe(2)
    expect('apiKey' in got.json).toBe(false)
    expect(got.text).not.toContain(API_KEY)

    const sources: string[] = []
    h!.tb.broker.events.on('settings.changed', (event) => sources.push(event.source))
    const put = await h!.request('PUT', '/api/v5/settings', { body: { maximumQos: 1, maxQueuedMessages: 50 } })
    expect(put.status).toBe(200)
    expect(put.json).toMatchObject({ maximumQos: 1, maxQueuedMessages: 50 })
    expect(h!.tb.broker.getSettings().maximumQos).toBe(1)
    expect(sources).toEqual(['api'])

    const cases: Array<[unknown, string]> = [
      [{ maximumQos: 3 }, 'body.maximumQos: must be one of 0, 1, 2'],
      [{ tcpPort: 'x' }, 'body.tcpPort: must be integer'],
      [{ tcpPrt: 1 }, 'body.tcpPrt: is not a known field'],
      [{ host: 'not a host' }, 'body.host: is not a host name or IP address'],
      [
        { tlsPort: 8883 },
        'body.certFile: tlsPort 8883 needs certFile and keyFile (PEM files); `brokerscope gen-cert` makes a development certificate'
      ]
    ]
    for (const [body, message] of cases) {
      const response = await h!.request('PUT', '/api/v5/settings', { body })
      expect(response.status).toBe(400)
      expect(response.json.message).toBe(message)
    }
    expect(h!.tb.broker.getSettings().maximumQos).toBe(1)
    expect(sources).toEqual(['api'])
  })
})

describe('users (PMQ), in the auth file', () => {
  it('lists, adds (the new user can connect at once), changes and removes users; the file is rewritten', async () => {
    await start({ allowAnonymous: false })
    expect((await h!.request('GET', '/api/v5/users')).json).toEqual([{ username: 'alice' }])
    const added = await h!.request('POST', '/api/v5/users', { body: { username: 'pmqtt', password: 'test1' } })
    expect(added.status).toBe(201)
    expect(added.json).toEqual({ username: 'pmqtt' })
    const file = JSON.parse(readFileSync(h!.authFile, 'utf8'))
    expect(file.users.map((u: { username: string }) => u.username)).toEqual(['alice', 'pmqtt'])
    expect(file.users[1].password).toMatch(/^scrypt-sha256\$16384\$8\$1\$/)
    const mqttUser = await client({ clientId: 'pmq', username: 'pmqtt', password: 'test1' })
    expect(mqttUser.connected).toBe(true)
    // The new user works for the API too (basic auth).
    const viaBasic = await h!.request('GET', '/api/v5/users', {
      auth: { authorization: `Basic ${Buffer.from('pmqtt:test1').toString('base64')}` }
    })
    expect(viaBasic.status).toBe(200)

    const changed = await h!.request('POST', '/api/v5/users', { body: { username: 'pmqtt', password: 'test2' } })
    expect(changed.status).toBe(200)
    await expect(mqtt.connectAsync(h!.tb.url('tcp'), { reconnectPeriod: 0, username: 'pmqtt', password: 'test1' })).rejects.toThrow()

    const bad = await h!.request('POST', '/api/v5/users', { body: { username: 'x', password: '' } })
    expect(bad.status).toBe(400)
    expect(bad.json.message).toBe('body.password: must NOT have fewer than 1 characters')
    expect((await h!.request('POST', '/api/v5/users', { body: { username: 'x' } })).json.message).toBe('body.password: is required')

    expect((await h!.request('DELETE', '/api/v5/users/pmqtt')).status).toBe(204)
    expect((await h!.request('GET', '/api/v5/users')).json).toEqual([{ username: 'alice' }])
    const missing = await h!.request('DELETE', '/api/v5/users/pmqtt')
    expect(missing.status).toBe(404)
    expect(missing.json).toEqual({ code: 'USER_NOT_FOUND', message: 'no user "pmqtt"' })
  })

  it('concurrent additions are not lost', async () => {
    await start()
    const names = ['u1', 'u2', 'u3', 'u4']
    const answers = await Promise.all(names.map((username) => h!.request('POST', '/api/v5/users', { body: { username, password: 'p' } })))
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201])
    const listed = (await h!.request('GET', '/api/v5/users')).json.map((u: { username: string }) => u.username)
    expect(listed.sort()).toEqual(['alice', ...names])
  })

  it('without an auth file the users endpoints say so (409)', async () => {
    await start({ authFile: null })
    const response = await h!.request('GET', '/api/v5/users')
    expect(response.status).toBe(409)
    expect(response.json.code).toBe('NO_AUTH_FILE')
  })
})
