import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../../src/main/broker/auth/password-hash'
import { parseClientConfiguration } from '../../src/main/config-distribution/client-configuration'
import { ConfigDistribution } from '../../src/main/config-distribution/config-distribution'
import { silentLogger } from '../../src/main/logger'
import { collectMessages, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'
import { TOOLS, run } from '../helpers/mosquitto-tools'

/** PMQ's README example, byte for byte. */
const PMQ_YAML = `# General configuration for all clients
GLOBAL:
- PROXY 127.0.0.14:8888
- NTP 127.0.0.15:8177

# General configuration for a client family
MACHINE_SERVICE_01:
- CONNECTION 192.168.0.133

# Specific configuration for a client
MACHINE_SERVICE_01/02:
- PORT 2001

MACHINE_SERVICE_01/03:
- PORT 2002
`

/** What PMQ's README says mosquitto_sub -t '$CONFIG_MODULE/MACHINE_SERVICE_01/02' receives. */
const PMQ_ANSWER = {
  GLOBAL: { PROXY: '127.0.0.14:8888', NTP: '127.0.0.15:8177' },
  GENERAL: { CONNECTION: '192.168.0.133' },
  SPECIFIC: { PORT: '2001' }
}

describe('configuration distribution ($CONFIG_MODULE)', () => {
  let folder: string
  let file: string
  let tb: TestBroker | null = null
  let distribution: ConfigDistribution | null = null
  const clients: MqttClient[] = []

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'bs-config-module-'))
    file = join(folder, 'configuration.yaml')
    writeFileSync(file, PMQ_YAML)
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.endAsync(true)))
    distribution?.stop()
    distribution = null
    await tb?.close()
    tb = null
    rmSync(folder, { recursive: true, force: true })
  })

  async function start(settings: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
    tb = await startTestBroker({ clientConfigurationFile: file, ...settings })
    distribution = new ConfigDistribution(tb.broker, silentLogger)
    distribution.start()
    return tb
  }

  async function subscriber(topic: string, options: mqtt.IClientOptions = {}): Promise<Array<{ topic: string; payload: Buffer }>> {
    const client = await mqtt.connectAsync(tb!.url('tcp'), { reconnectPeriod: 0, ...options })
    client.on('error', () => {})
    clients.push(client)
    const received = collectMessages(client)
    await client.subscribeAsync(topic, { qos: 1 })
    return received
  }

  it("PMQ's README example: mosquitto_sub on $CONFIG_MODULE/MACHINE_SERVICE_01/02 receives its JSON", async () => {
    await start()
    const stdout = await run(TOOLS.sub, [
      '-h',
      '127.0.0.1',
      '-p',
      String(tb!.tcpPort),
      '-t',
      '$CONFIG_MODULE/MACHINE_SERVICE_01/02',
      '-C',
      '1',
      '-W',
      '5'
    ])
    expect(JSON.parse(stdout)).toEqual(PMQ_ANSWER)
    // The keys come in PMQ's order.
    expect(Object.keys(JSON.parse(stdout))).toEqual(['GLOBAL', 'GENERAL', 'SPECIFIC'])
  })

  it('another client of the family, and one the file does not name, get their own parts', async () => {
    await start()
    const other = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/03')
    const unnamed = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/99')
    const family = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01')
    await waitFor(() => other.length === 1 && unnamed.length === 1 && family.length === 1, 'the three answers')
    expect(JSON.parse(other[0].payload.toString())).toEqual({ ...PMQ_ANSWER, SPECIFIC: { PORT: '2002' } })
    expect(JSON.parse(unnamed[0].payload.toString())).toEqual({ ...PMQ_ANSWER, SPECIFIC: {} })
    expect(JSON.parse(family[0].payload.toString())).toEqual({ ...PMQ_ANSWER, SPECIFIC: {} })
    // A '#' subscriber does not see them: $ topics are not matched by wildcards [MQTT-4.7.2-1].
    const everything = await subscriber('#')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(everything.filter((m) => m.topic.startsWith('$CONFIG_MODULE'))).toEqual([])
  })

  it('a changed file is reloaded and subscribers get the new JSON; a broken one keeps the old and says where', async () => {
    await start()
    const received = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/02')
    await waitFor(() => received.length === 1, 'the first answer')

    writeFileSync(file, PMQ_YAML.replace('PORT 2001', 'PORT 3001'))
    await waitFor(() => received.length === 2, 'the reloaded answer', 5000)
    expect(JSON.parse(received[1].payload.toString()).SPECIFIC).toEqual({ PORT: '3001' })

    writeFileSync(file, 'GLOBAL:\n- PROXY 1\nMACHINE_SERVICE_01: [\n')
    await waitFor(() => distribution!.status().error !== null, 'the broken file to be noticed', 5000)
    expect(distribution!.status().error).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `))
    // The configuration in force is still the last good one.
    const late = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/02')
    await waitFor(() => late.length === 1, 'the answer after the broken file')
    expect(JSON.parse(late[0].payload.toString()).SPECIFIC).toEqual({ PORT: '3001' })
    expect(received).toHaveLength(2)
  })

  it('an editor-style save (a new file renamed over the old) is picked up too', async () => {
    await start()
    const received = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/03')
    await waitFor(() => received.length === 1, 'the first answer')
    // Another file in the folder changing is read once and ignored (the configuration is the same).
    writeFileSync(join(folder, 'notes.txt'), 'unrelated')
    const temporary = join(folder, '.configuration.yaml.swp')
    writeFileSync(temporary, PMQ_YAML.replace('PORT 2002', 'PORT 4002'))
    renameSync(temporary, file)
    await waitFor(() => received.length === 2, 'the answer from the renamed file', 5000)
    expect(JSON.parse(received[1].payload.toString()).SPECIFIC).toEqual({ PORT: '4002' })
  })

  it('ACL rules apply: a user without read access is refused, one with it gets the JSON', async () => {
    const authFile = join(folder, 'auth.json5')
    writeFileSync(
      authFile,
      JSON.stringify({
        users: [
          { username: 'machine', password: hashPassword('m') },
          { username: 'other', password: hashPassword('o') }
        ],
        acl: [{ user: 'machine', topic: '$CONFIG_MODULE/MACHINE_SERVICE_01/#', access: 'read' }]
      })
    )
    await start({ authFile, allowAnonymous: false })
    const allowed = await subscriber('$CONFIG_MODULE/MACHINE_SERVICE_01/02', { username: 'machine', password: 'm' })
    await waitFor(() => allowed.length === 1, 'the allowed answer')
    expect(JSON.parse(allowed[0].payload.toString())).toEqual(PMQ_ANSWER)

    const client = await mqtt.connectAsync(tb!.url('tcp'), { reconnectPeriod: 0, username: 'other', password: 'o' })
    clients.push(client)
    const refused = collectMessages(client)
    // SUBACK 0x80: MQTT.js turns a refused filter into an error.
    await expect(client.subscribeAsync('$CONFIG_MODULE/MACHINE_SERVICE_01/02', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(refused).toEqual([])
  })

  it('the topics stay the file’s: a deleted one is put back', async () => {
    await start()
    expect(tb!.broker.getRetained('$CONFIG_MODULE/MACHINE_SERVICE_01/02')).not.toBeNull()
    tb!.broker.clearRetained()
    await waitFor(() => tb!.broker.getRetained('$CONFIG_MODULE/MACHINE_SERVICE_01/02') !== null, 'the topic to be restored')
    expect(
      tb!.broker
        .listRetained()
        .map((r) => r.topic)
        .sort()
    ).toEqual(['$CONFIG_MODULE/MACHINE_SERVICE_01', '$CONFIG_MODULE/MACHINE_SERVICE_01/02', '$CONFIG_MODULE/MACHINE_SERVICE_01/03'])
  })

  it('answers left in the retained store by an earlier run that the file no longer gives are removed', async () => {
    tb = await startTestBroker({ clientConfigurationFile: file })
    tb.broker.publish({ topic: '$CONFIG_MODULE/OLD_FAMILY/1', payload: '{}', retain: true })
    distribution = new ConfigDistribution(tb.broker, silentLogger)
    distribution.start()
    expect(tb.broker.getRetained('$CONFIG_MODULE/OLD_FAMILY/1')).toBeNull()
    expect(tb.broker.getRetained('$CONFIG_MODULE/MACHINE_SERVICE_01/02')).not.toBeNull()
  })

  it('turning the setting off withdraws the topics', async () => {
    await start()
    expect(tb!.broker.listRetained()).toHaveLength(3)
    await tb!.broker.updateSettings({ clientConfigurationFile: null })
    expect(tb!.broker.listRetained()).toEqual([])
  })
})

describe('the YAML file', () => {
  it('parses PMQ’s example', () => {
    const parsed = parseClientConfiguration(PMQ_YAML, 'c.yaml')
    expect(parsed.ok).toBe(true)
  })

  it('names the line and column of a syntax error', () => {
    const parsed = parseClientConfiguration('GLOBAL:\n- PROXY 1\n  - bad: [\n', 'c.yaml')
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/^c\.yaml:\d+:\d+: /)
  })

  it('names the line and column of entries that are not "KEY value" lines, and of bad rule names', () => {
    const parsed = parseClientConfiguration('GLOBAL:\n- PROXY 1\n- { a: 1 }\nA/B/C:\n- X 1\nFAM: 3\nF+X:\n- A 1\n', 'c.yaml')
    expect(parsed).toEqual({
      ok: false,
      errors: [
        'c.yaml:3:3: GLOBAL: each entry must be a "KEY value" line',
        'c.yaml:4:1: A/B/C: a rule is a family (NAME) or one client of it (NAME/ID)',
        'c.yaml:6:6: FAM: must be a list of "KEY value" lines (- PORT 2001)',
        'c.yaml:7:1: F+X: must not contain +, # or U+0000 (it becomes a topic)'
      ]
    })
  })
})
