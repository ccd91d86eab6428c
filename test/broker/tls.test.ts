import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Broker } from '../../src/main/broker/broker'
import { genCertMain } from '../../src/main/headless/gen-cert-command'
import { silentLogger } from '../../src/main/logger'
import { Salvaged } from '../../src/main/storage/json-file-store'
import { parseAppSettings, SETTINGS_FILE_VERSION } from '../../src/main/storage/settings-file'
import type { BrokerSettings } from '../../src/shared/settings'
import { collectMessages, freePort, waitFor } from '../helpers/broker-harness'
import { tempDir, writeAuthFile } from './auth/auth-helpers'

interface TlsBroker {
  broker: Broker
  tcpPort: number
  tlsPort: number
  wssPort: number
}

describe('TLS listeners', () => {
  let certs: ReturnType<typeof tempDir>
  let certFile: string
  let keyFile: string
  let genCertOutput: string[] = []
  let broker: Broker | null = null
  const clients: MqttClient[] = []

  beforeAll(() => {
    certs = tempDir('brokerscope-tls-')
    const out: string[] = []
    const err: string[] = []
    const code = genCertMain(['--out', certs.dir, '--client', 'alice'], {
      stdout: (l) => void out.push(l),
      stderr: (l) => void err.push(l)
    })
    expect(err).toEqual([])
    expect(code).toBe(0)
    genCertOutput = out
    certFile = join(certs.dir, 'cert.pem')
    keyFile = join(certs.dir, 'key.pem')
  })
  afterAll(() => certs.cleanup())
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync().catch(() => {})))
    await broker?.stop()
    broker = null
  })

  async function start(settings: Partial<BrokerSettings> = {}): Promise<TlsBroker> {
    const [tcpPort, tlsPort, wssPort] = [await freePort(), await freePort(), await freePort()]
    broker = new Broker({ sysInterval: 0, tcpPort, wsPort: 0, tlsPort, wssPort, certFile, keyFile, ...settings }, { logger: silentLogger })
    await broker.start()
    return { broker, tcpPort, tlsPort, wssPort }
  }

  async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ca: readFileSync(certFile),
      rejectUnauthorized: true,
      ...options
    })
    clients.push(client)
    return client
  }

  it('gen-cert writes a certificate, its key and a client certificate, and prints the flags to use them', () => {
    for (const name of ['cert.pem', 'key.pem', 'client-alice.pem', 'client-alice-key.pem'])
      expect(existsSync(join(certs.dir, name)), name).toBe(true)
    const text = genCertOutput.join('\n')
    expect(text).toContain(`--tls-port 8883 --wss-port 8084 --cert-file ${certFile} --key-file ${keyFile}`)
    expect(text).toContain(`mosquitto_sub --cafile ${certFile}`)
    expect(text).toContain('--require-client-certificate --use-identity-as-username')
    expect(text).toMatch(/valid for localhost, 127\.0\.0\.1, 0:0:0:0:0:0:0:1 until \d{4}-\d\d-\d\d/)
    // Existing files are kept unless --force.
    const err: string[] = []
    expect(genCertMain(['--out', certs.dir], { stdout: () => {}, stderr: (l) => void err.push(l) })).toBe(1)
    expect(err[0]).toContain('exists; use --force')
  })

  it('serves mqtts and wss to clients that trust the certificate (rejectUnauthorized: true)', async () => {
    const b = await start()
    expect(b.broker.listeners()).toEqual([
      { name: 'tcp', host: '127.0.0.1', port: b.tcpPort, listening: true, error: null },
      { name: 'tls', host: '127.0.0.1', port: b.tlsPort, listening: true, error: null },
      { name: 'wss', host: '127.0.0.1', port: b.wssPort, listening: true, error: null }
    ])
    const overTls = await connect(`mqtts://127.0.0.1:${b.tlsPort}`, { clientId: 'over-tls' })
    const overWss = await connect(`wss://localhost:${b.wssPort}/mqtt`, { clientId: 'over-wss', protocolVersion: 5 })
    await overWss.subscribeAsync('secure/#')
    const received = collectMessages(overWss)
    await overTls.publishAsync('secure/hello', 'over TLS', { qos: 1 })
    await waitFor(() => received.length === 1, 'the message over wss')
    expect(received[0].payload.toString()).toBe('over TLS')
    const listeners = Object.fromEntries(b.broker.listClients().map((c) => [c.clientId, c.listener]))
    expect(listeners).toEqual({ 'over-tls': 'tls', 'over-wss': 'wss' })
  })

  it('is really verified: a client without the CA refuses the certificate', async () => {
    const b = await start()
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${b.tlsPort}`, { reconnectPeriod: 0, connectTimeout: 3000, rejectUnauthorized: true })
    ).rejects.toThrow(/self[- ]signed certificate/i)
  })

  it('mosquitto_pub --cafile publishes over TLS (hostname checked, no --insecure)', async () => {
    const tool = '/usr/bin/mosquitto_pub'
    expect(existsSync(tool), `${tool} is missing: apt-get install mosquitto-clients`).toBe(true)
    const b = await start()
    const watcher = await connect(`mqtts://127.0.0.1:${b.tlsPort}`)
    await watcher.subscribeAsync('from/mosquitto')
    const received = collectMessages(watcher)
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        tool,
        ['--cafile', certFile, '-h', '127.0.0.1', '-p', String(b.tlsPort), '-t', 'from/mosquitto', '-m', 'tls ok', '-q', '1'],
        {
          stdio: ['ignore', 'pipe', 'pipe']
        }
      )
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('close', (code) => resolve({ code, stderr }))
    })
    expect(result).toEqual({ code: 0, stderr: '' })
    await waitFor(() => received.length === 1, 'the message from mosquitto_pub')
    expect(received[0].payload.toString()).toBe('tls ok')
  })

  it('reports certificate problems as listener errors, never a crash; the other listeners run', async () => {
    const missing = join(certs.dir, 'missing.pem')
    const b = await start({ certFile: missing })
    const infos = b.broker.listeners()
    expect(infos.find((i) => i.name === 'tcp')).toMatchObject({ listening: true })
    expect(infos.find((i) => i.name === 'tls')).toEqual({
      name: 'tls',
      host: '127.0.0.1',
      port: b.tlsPort,
      listening: false,
      // Shown in the UI: the kind of problem only; the path and OS error are in the log.
      error: `TLS port ${b.tlsPort} on 127.0.0.1: certFile: cannot be read: see the broker log`
    })
    expect(infos.find((i) => i.name === 'wss')?.error).toBe(
      `secure WebSocket port ${b.wssPort} on 127.0.0.1: certFile: cannot be read: see the broker log`
    )
    await broker!.stop()

    const otherKey = join(certs.dir, 'client-alice-key.pem')
    const mismatched = await start({ keyFile: otherKey })
    expect(mismatched.broker.listeners().find((i) => i.name === 'tls')?.error).toMatch(/the key does not belong to the certificate/)
    await broker!.stop()

    const garbage = join(certs.dir, 'garbage.pem')
    writeFileSync(garbage, 'not a certificate\n')
    const bad = await start({ certFile: garbage })
    expect(bad.broker.listeners().find((i) => i.name === 'tls')?.error).toMatch(
      /^TLS port \d+ on 127\.0\.0\.1: certFile \/ keyFile \/ caFile: not a valid PEM certificate and key: see the broker log$/
    )
  })

  it('settings: a TLS port needs certFile and keyFile; requiring client certificates needs caFile', async () => {
    expect(() => new Broker({ tlsPort: 8883 }, { logger: silentLogger })).toThrow(
      'invalid broker settings: tlsPort 8883 needs certFile and keyFile (PEM files); `brokerscope gen-cert` makes a development certificate'
    )
    const b = await start({ tlsPort: 0, wssPort: 0, certFile: null, keyFile: null })
    expect(await b.broker.updateSettings({ wssPort: 8084 })).toEqual({
      ok: false,
      errors: [
        {
          key: 'certFile',
          message: 'wssPort 8084 needs certFile and keyFile (PEM files); `brokerscope gen-cert` makes a development certificate'
        }
      ]
    })
    expect(await b.broker.updateSettings({ tlsPort: 8883, certFile, keyFile, requireClientCertificate: true })).toEqual({
      ok: false,
      errors: [{ key: 'caFile', message: 'requireClientCertificate needs caFile: the CA certificate that signs the client certificates' }]
    })
    // Turned on while running.
    const tlsPort = await freePort()
    const result = await b.broker.updateSettings({ tlsPort, certFile, keyFile })
    expect(result.ok).toBe(true)
    expect(b.broker.listeners().find((i) => i.name === 'tls')).toMatchObject({ listening: true, port: tlsPort })
    await connect(`mqtts://127.0.0.1:${tlsPort}`)
  })

  it('saved settings: TLS keys load in any order; a TLS port without its certificate turns TLS off with a problem', () => {
    const loaded = parseAppSettings({ version: SETTINGS_FILE_VERSION, broker: { tlsPort: 8883, certFile, keyFile } })
    expect(loaded).not.toBeInstanceOf(Error)
    expect(loaded).not.toBeInstanceOf(Salvaged)
    expect((loaded as { broker: BrokerSettings }).broker).toMatchObject({ tlsPort: 8883, certFile, keyFile })
    const salvaged = parseAppSettings({ version: SETTINGS_FILE_VERSION, broker: { wssPort: 8084, tcpPort: 1999 } })
    expect(salvaged).toBeInstanceOf(Salvaged)
    const value = salvaged as Salvaged<{ broker: BrokerSettings }>
    expect(value.value.broker).toMatchObject({ wssPort: 0, tlsPort: 0, tcpPort: 1999 })
    expect(value.problems).toEqual([
      'broker.certFile: wssPort 8084 needs certFile and keyFile (PEM files); `brokerscope gen-cert` makes a development certificate (TLS listeners turned off)'
    ])
  })

  describe('client certificates', () => {
    const clientCert = (): { cert: Buffer; key: Buffer } => ({
      cert: readFileSync(join(certs.dir, 'client-alice.pem')),
      key: readFileSync(join(certs.dir, 'client-alice-key.pem'))
    })

    it('refuses clients without a certificate when one is required', async () => {
      const b = await start({ caFile: certFile, requireClientCertificate: true })
      await expect(connect(`mqtts://127.0.0.1:${b.tlsPort}`, { connectTimeout: 3000 })).rejects.toThrow()
      await expect(connect(`wss://127.0.0.1:${b.wssPort}/mqtt`, { connectTimeout: 3000 })).rejects.toThrow()
      const withCert = await connect(`mqtts://127.0.0.1:${b.tlsPort}`, { ...clientCert(), clientId: 'has-cert' })
      expect(withCert.connected).toBe(true)
      // Without useIdentityAsUsername the CONNECT's user name stands.
      expect(b.broker.listClients()[0]).toMatchObject({ clientId: 'has-cert', username: null })
    })

    it("makes the certificate's CN the user name with useIdentityAsUsername, for ACL %u rules too", async () => {
      const authFile = join(certs.dir, 'auth.json5')
      writeAuthFile(authFile, {}, [{ topic: 'users/%u/#', access: 'readwrite' }])
      const b = await start({
        caFile: certFile,
        requireClientCertificate: true,
        useIdentityAsUsername: true,
        authFile,
        allowAnonymous: false
      })
      // The CONNECT's user name and password are ignored: the certificate is the credential.
      const alice = await connect(`mqtts://127.0.0.1:${b.tlsPort}`, {
        ...clientCert(),
        clientId: 'cert-client',
        username: 'mallory',
        password: 'x'
      })
      const overWss = await connect(`wss://127.0.0.1:${b.wssPort}/mqtt`, { ...clientCert(), clientId: 'cert-wss' })
      expect(Object.fromEntries(b.broker.listClients().map((c) => [c.clientId, c.username]))).toEqual({
        'cert-client': 'alice',
        'cert-wss': 'alice'
      })
      let granted: number[] = []
      alice.on('packetreceive', (packet) => {
        if (packet.cmd === 'suback') granted = packet.granted as number[]
      })
      await alice.subscribeAsync(['users/alice/#', 'users/mallory/#']).catch(() => {})
      expect(granted).toEqual([0, 0x80])
      // Plain TCP has no certificate: anonymous, and refused.
      await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${b.tcpPort}`, { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 })
      await overWss.endAsync()
    })
  })
})
