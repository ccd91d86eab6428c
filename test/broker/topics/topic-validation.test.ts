import { describe, it, expect } from 'vitest'
import {
  hasWildcard,
  parseSharedFilter,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName
} from '../../../src/main/broker/topics/topic-validation'

const LONE_HIGH = String.fromCharCode(0xd83d)
const LONE_LOW = String.fromCharCode(0xde00)
const EMOJI = '\u{1F600}' // a valid surrogate pair

describe('validateTopicName', () => {
  const valid = [
    'a',
    '/',
    '//',
    '/finance',
    'sport/tennis/player1',
    'sport/tennis/player1/ranking',
    '$SYS/broker/clients',
    'a b/c d',
    'ü/日本/' + EMOJI,
    'x'.repeat(65535),
    'é'.repeat(32767) // 65534 bytes
  ]
  it.each(valid.map((t) => [t.length > 40 ? `${t.slice(0, 10)}…(${t.length})` : t, t]))('accepts %s', (_label, topic) => {
    expect(validateTopicName(topic)).toBeNull()
  })

  const invalid: [string, string][] = [
    ['empty', ''],
    ['+ level', 'sport/+'],
    ['+ inside a level', 'sport/a+b'],
    ['# level', 'sport/#'],
    ['# inside a level', 'sport#'],
    ['U+0000', 'a\u0000b'],
    ['lone high surrogate', 'a' + LONE_HIGH],
    ['lone high surrogate before a letter', LONE_HIGH + 'a'],
    ['lone low surrogate', LONE_LOW + 'a'],
    ['reversed pair', LONE_LOW + LONE_HIGH],
    ['65536 ASCII bytes', 'x'.repeat(65536)],
    ['65536 UTF-8 bytes from 2-byte chars', 'é'.repeat(32768)],
    ['65538 UTF-8 bytes from 4-byte chars', EMOJI.repeat(16384) + 'xx']
  ]
  it.each(invalid)('rejects %s', (_label, topic) => {
    expect(validateTopicName(topic)).toEqual(expect.any(String))
  })
})

describe('validateTopicFilter', () => {
  const valid = [
    '#',
    '+',
    '+/+',
    '/+',
    '+/',
    '/',
    'sport/tennis/player1/#',
    'sport/#',
    'sport/tennis/#',
    'sport/+',
    'sport/+/player1',
    '+/tennis/#',
    '+/monitor/Clients',
    '$SYS/#',
    '$SYS/monitor/+',
    'a//b',
    'x'.repeat(65535),
    EMOJI + '/+'
  ]
  it.each(valid.map((f) => [f.length > 40 ? `${f.slice(0, 10)}…(${f.length})` : f, f]))('accepts %s', (_label, filter) => {
    expect(validateTopicFilter(filter)).toBeNull()
  })

  const invalid: [string, string][] = [
    ['empty', ''],
    ['sport/tennis#', 'sport/tennis#'],
    ['sport/tennis/#/ranking', 'sport/tennis/#/ranking'],
    ['#/a', '#/a'],
    ['##', '##'],
    ['a/#b', 'a/#b'],
    ['sport+', 'sport+'],
    ['+sport', '+sport'],
    ['++', '++'],
    ['a/+b/c', 'a/+b/c'],
    ['a/b+', 'a/b+'],
    ['U+0000', 'a/\u0000'],
    ['lone surrogate', 'a/' + LONE_HIGH],
    ['too long', 'x'.repeat(65536)]
  ]
  it.each(invalid)('rejects %s', (_label, filter) => {
    expect(validateTopicFilter(filter)).toEqual(expect.any(String))
  })

  it('names the rule that failed', () => {
    expect(validateTopicFilter('a/#/b')).toMatch(/last/)
    expect(validateTopicFilter('a#')).toMatch(/whole level/)
    expect(validateTopicFilter('a+')).toMatch(/\+/)
  })

  it('stays linear on a long filter with many levels', () => {
    const filter = 'a/'.repeat(30000) + '#'
    const start = performance.now()
    expect(validateTopicFilter(filter)).toBeNull()
    expect(performance.now() - start).toBeLessThan(200)
  })
})

describe('hasWildcard', () => {
  it.each([
    ['a/b', false],
    ['$SYS/x', false],
    ['a/+', true],
    ['#', true],
    ['+/b', true]
  ] as const)('%s → %s', (filter, expected) => {
    expect(hasWildcard(filter)).toBe(expected)
  })
})

describe('parseSharedFilter', () => {
  it.each([
    ['sport/tennis', null],
    ['$SYS/#', null],
    ['$sharex/g/a', null],
    ['$SHARE/g/a', null],
    ['share/g/a', null]
  ] as const)('%s is not shared', (filter, expected) => {
    expect(parseSharedFilter(filter)).toBe(expected)
  })

  it.each([
    ['$share/consumer1/sport/tennis/+', 'consumer1', 'sport/tennis/+'],
    ['$share/g/#', 'g', '#'],
    ['$share/g/+', 'g', '+'],
    ['$share/g//', 'g', '/'],
    ['$share/g/$SYS/#', 'g', '$SYS/#'],
    ['$share/日本/a', '日本', 'a']
  ])('%s → group %s, filter %s', (filter, group, topicFilter) => {
    expect(parseSharedFilter(filter)).toEqual({ group, topicFilter })
  })

  it.each([
    ['$share', 'no share name or filter'],
    ['$share/', 'empty share name'],
    ['$share//a', 'empty share name before a filter'],
    ['$share/g', 'no filter'],
    ['$share/g/', 'empty filter'],
    ['$share/+/a', "'+' share name"],
    ['$share/#/a', "'#' share name"],
    ['$share/a+b/a', "'+' inside the share name"],
    ['$share/g#/a', "'#' inside the share name"],
    ['$share/g/a/#/b', 'invalid filter'],
    ['$share/g/a+', 'invalid filter'],
    ['$share/g\u0000/a', 'U+0000 in share name'],
    ['$share/g/' + 'x'.repeat(65530), 'whole string over 65535 bytes']
  ])('%s is an error (%s)', (filter) => {
    const result = parseSharedFilter(filter)
    expect(result).not.toBeNull()
    expect(result).toHaveProperty('error', expect.any(String))
  })
})

describe('topicMatchesFilter', () => {
  const cases: [filter: string, topic: string, matches: boolean][] = [
    // MQTT 3.1.1 / 5.0 §4.7.1.2: multi-level wildcard
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/tennis/player1/#', 'sport/tennis/player2', false],
    ['sport/tennis/player1/#', 'sport/tennis', false],
    ['sport/#', 'sport', true],
    ['sport/#', 'sport/', true],
    ['#', 'sport/tennis/player1', true],
    ['#', '/', true],
    ['#', 'a', true],
    // §4.7.1.3: single-level wildcard
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+', 'sport', true],
    ['+', '', true],
    ['+', '/finance', false],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+/tennis/#', 'sport/tennis/player1', true],
    ['+/tennis/#', 'sport/tennis', true],
    ['+/tennis/#', 'sport/golf', false],
    ['sport/+/player1', 'sport/tennis/player1', true],
    ['sport/+/player1', 'sport//player1', true],
    ['+/+', 'a', false],
    ['+/+', 'a/b/c', false],
    ['a/+/#', 'a/b', true],
    ['a/+/#', 'a', false],
    // literals, case and empty levels
    ['sport/tennis', 'sport/tennis', true],
    ['sport/tennis', 'Sport/tennis', false],
    ['sport/tennis', 'sport/tennis/', false],
    ['/finance', 'finance', false],
    ['a//b', 'a//b', true],
    ['a/+/b', 'a//b', true],
    // §4.7.2: topics beginning with $
    ['#', '$SYS/broker/clients', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['+', '$SYS', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['+/monitor/Clients', 'a/monitor/Clients', true],
    ['a/+', 'a/$x', true],
    ['a/#', 'a/$x', true],
    ['#', 'a$', true]
  ]
  it.each(cases)('%s vs %s → %s', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected)
  })
})
