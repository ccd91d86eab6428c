import { describe, expect, it } from 'vitest'
import { ReconnectBackoff } from '../../src/main/bridges/backoff'
import { errorWords } from '../../src/main/bridges/error-words'
import { TopicMap } from '../../src/main/bridges/topic-map'
import {
  formatTopicRule,
  inspectTopics,
  parseBrokerUrl,
  parseTopicRule,
  suggestBridgeName,
  type TopicRule,
  validateBridgeConfig
} from '../../src/shared/bridges'

function rule(text: string): TopicRule {
  const parsed = parseTopicRule(text)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.rule
}

describe('topic rules: pattern [[[ out | in | both ] qos] local-prefix remote-prefix]', () => {
  it('defaults to out, QoS 0, no prefixes', () => {
    expect(rule('sensors/#')).toEqual({ pattern: 'sensors/#', direction: 'out', qos: 0, localPrefix: '', remotePrefix: '' })
    expect(rule('  a/+/b   in  2 ')).toEqual({ pattern: 'a/+/b', direction: 'in', qos: 2, localPrefix: '', remotePrefix: '' })
    expect(rule('# both 1 local/ ""')).toEqual({ pattern: '#', direction: 'both', qos: 1, localPrefix: 'local/', remotePrefix: '' })
  })

  it('writes a rule back as short as mosquitto reads it', () => {
    for (const text of [
      'sensors/#',
      'a in',
      'a both 1',
      '# both 2 local/topic/ remote/topic/',
      '"" out 0 here/a there/b',
      '# in 0 L/ ""'
    ]) {
      expect(formatTopicRule(rule(text))).toBe(text)
    }
    expect(formatTopicRule(rule('a out 0 "" ""'))).toBe('a')
  })

  it.each([
    ['', 'is empty'],
    ['a sideways', 'direction must be in, out or both'],
    ['a in 3', 'QoS must be 0, 1 or 2'],
    ['a in 1 x/ y/ extra', 'at most 5'],
    ['a/#/b', '"#" must be the whole last level'],
    ['a in 1 wild/+/ ""', 'must not contain + or #'],
    // mosquitto's table: an empty pattern needs both prefixes.
    ['"" out 0 local ""', 'needs both a local and a remote prefix'],
    ['"" out 0 "" remote', 'needs both a local and a remote prefix'],
    ['"" out 0', 'needs both a local and a remote prefix']
  ])('refuses %j: %s', (text, error) => {
    const parsed = parseTopicRule(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toContain(error)
  })
})

describe('topic mapping, as mosquitto.conf(5) tabulates it', () => {
  // Pattern, local prefix, remote prefix → full local topic, full remote topic.
  it.each([
    ['pattern', 'L/', 'R/', 'L/pattern', 'R/pattern'],
    ['pattern', 'L/', '', 'L/pattern', 'pattern'],
    ['pattern', '', 'R/', 'pattern', 'R/pattern'],
    ['pattern', '', '', 'pattern', 'pattern'],
    ['', 'local', 'remote', 'local', 'remote']
  ])('%j with %j and %j: %s here is %s there', (pattern, localPrefix, remotePrefix, localTopic, remoteTopic) => {
    const map = new TopicMap([{ pattern, direction: 'both', qos: 1, localPrefix, remotePrefix }])
    expect(map.toRemote(localTopic)).toEqual([remoteTopic])
    expect(map.toLocal(remoteTopic)).toEqual([localTopic])
    expect(map.localSubscriptions).toEqual([{ filter: localTopic, qos: 1 }])
    expect(map.remoteSubscriptions).toEqual([{ filter: remoteTopic, qos: 1 }])
  })

  it('wildcards: prefixes are taken off and put on around the matched part', () => {
    const map = new TopicMap([rule('# both 2 local/topic/ remote/topic/')])
    expect(map.toRemote('local/topic/a/b')).toEqual(['remote/topic/a/b'])
    expect(map.toLocal('remote/topic/x')).toEqual(['local/topic/x'])
    expect(map.toRemote('other/a')).toEqual([])
  })

  it('direction decides the side: out rules subscribe here, in rules there', () => {
    const map = new TopicMap([rule('up/# out 1'), rule('down/# in 0'), rule('both/# both 2')])
    expect(map.localSubscriptions).toEqual([
      { filter: 'up/#', qos: 1 },
      { filter: 'both/#', qos: 2 }
    ])
    expect(map.remoteSubscriptions).toEqual([
      { filter: 'down/#', qos: 0 },
      { filter: 'both/#', qos: 2 }
    ])
    expect(map.toRemote('down/x')).toEqual([])
    expect(map.toLocal('up/x')).toEqual([])
  })

  it('a message matching several rules goes once to each distinct topic; one filter is subscribed once at the highest QoS', () => {
    const map = new TopicMap([rule('a/# out 0'), rule('a/# out 1'), rule('# out 0 "" mirror/')])
    expect(map.localSubscriptions).toEqual([
      { filter: 'a/#', qos: 1 },
      { filter: '#', qos: 0 }
    ])
    expect(map.toRemote('a/b')).toEqual(['a/b', 'mirror/a/b'])
  })

  it('an inspection takes everything and the remote’s $SYS under its prefix, read-only', () => {
    const map = new TopicMap(inspectTopics('remote/m/').map(rule))
    expect(map.hasOutgoing).toBe(false)
    expect(map.remoteSubscriptions.map((s) => s.filter)).toEqual(['#', '$SYS/#'])
    expect(map.toLocal('$SYS/broker/uptime')).toEqual(['remote/m/$SYS/broker/uptime'])
    expect(map.toLocal('a/b')).toEqual(['remote/m/a/b'])
  })
})

describe('bridge config', () => {
  it('fills in the defaults and moves credentials out of the URL', () => {
    const checked = validateBridgeConfig({ name: 'cloud', url: 'mqtts://user:p%40ss@broker.example.com:8883', topics: ['a/# both 1'] })
    expect(checked.ok).toBe(true)
    if (!checked.ok) return
    expect(checked.value).toMatchObject({
      name: 'cloud',
      kind: 'bridge',
      url: 'mqtts://broker.example.com:8883',
      username: 'user',
      password: 'p@ss',
      protocolVersion: 5,
      cleanStart: false,
      keepAlive: 60,
      maxQueuedMessages: 10_000,
      topics: ['a/# both 1']
    })
  })

  it('an inspection gets its rules from its name', () => {
    const checked = validateBridgeConfig({ name: 'lab', kind: 'inspect', url: 'mqtt://lab.local' })
    expect(checked.ok && checked.value.topics).toEqual(['# in 0 remote/lab/ ""', '$SYS/# in 0 remote/lab/ ""'])
  })

  it.each([
    [{ name: 'bad name!', url: 'mqtt://h', topics: ['a'] }, 'name'],
    [{ name: 'n', url: 'http://h', topics: ['a'] }, 'url'],
    [{ name: 'n', url: 'mqtt://h/path', topics: ['a'] }, 'url'],
    [{ name: 'n', url: 'mqtt://h', topics: [] }, 'topics'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a in 7'] }, 'topics.0'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a'], keepAlive: 2 }, 'keepAlive'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a'], protocolVersion: 3 }, 'protocolVersion'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a'], password: 'x' }, 'password'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a'], certFile: '/c.pem' }, 'keyFile'],
    [{ name: 'n', url: 'mqtt://h', topics: ['a'], colour: 'red' }, 'colour'],
    [{ name: 'n', kind: 'inspect', url: 'mqtt://h', topics: ['a out'] }, 'topics.0']
  ])('refuses %j (at %s)', (raw, where) => {
    const checked = validateBridgeConfig(raw)
    expect(checked.ok).toBe(false)
    if (!checked.ok) expect(checked.errors.map((e) => e.path.join('.'))).toContain(where)
  })

  it('names a new bridge after the host, and counts up when that is taken', () => {
    expect(suggestBridgeName('mqtt://test.mosquitto.org', new Set())).toBe('test.mosquitto.org')
    expect(suggestBridgeName('mqtt://test.mosquitto.org', new Set(['test.mosquitto.org']))).toBe('test.mosquitto.org-2')
    expect(parseBrokerUrl('ws://h:8080/mqtt')).toMatchObject({ ok: true, url: 'ws://h:8080/mqtt' })
  })
})

describe('reconnection backoff (decorrelated jitter, 5 s base, 30 s cap)', () => {
  it('stays between the base and the cap, grows, and starts over after a connection', () => {
    const highest = new ReconnectBackoff(5000, 30000, () => 1)
    expect([highest.next(), highest.next(), highest.next(), highest.next()]).toEqual([15000, 30000, 30000, 30000])
    highest.reset()
    expect(highest.next()).toBe(15000)
    const lowest = new ReconnectBackoff(5000, 30000, () => 0)
    expect([lowest.next(), lowest.next()]).toEqual([5000, 5000])
    const random = new ReconnectBackoff()
    for (let i = 0; i < 100; i++) {
      const wait = random.next()
      expect(wait).toBeGreaterThanOrEqual(5000)
      expect(wait).toBeLessThanOrEqual(30000)
    }
  })
})

describe('errors in words', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 5, 'connection refused'],
    [Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), 5, 'TLS: unknown CA'],
    [Object.assign(new Error('Connection refused: Not authorized'), { code: 5 }), 4, 'not authorized'],
    [Object.assign(new Error('Connection refused: Not authorized'), { code: 0x87 }), 5, 'not authorized'],
    [
      Object.assign(new Error('Connection refused: Bad username or password'), { code: 0x86 }),
      5,
      'not authorized: bad user name or password'
    ],
    [new Error('Keepalive timeout'), 5, 'the remote stopped answering (keep alive timeout)'],
    [new Error('connack timeout'), 5, 'timed out waiting for the remote to accept the connection']
  ])('%s → %j', (error, version, words) => {
    expect(errorWords(error, version)).toBe(words)
  })
})
