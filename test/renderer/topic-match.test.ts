import { describe, expect, it } from 'vitest'
import { compileTopicFilter, compileTopicSearch, topicFilterProblem, topicMatches } from '../../src/renderer/src/lib/topic-match'

describe('topicMatches', () => {
  const cases: [string, string, boolean][] = [
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/+/c', 'a/b/x/c', false],
    ['+', 'a', true],
    ['+', 'a/b', false],
    ['+/+', 'a/b', true],
    ['+/b', '/b', true], // an empty first level is still a level
    ['a/+', 'a/', true],
    ['a/#', 'a', true], // '#' also matches the parent level [MQTT-4.7.1-2]
    ['a/#', 'a/b', true],
    ['a/#', 'a/b/c/d', true],
    ['a/#', 'ab', false],
    ['#', 'a/b/c', true],
    ['#', '/a', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['A/b', 'a/b', false] // topics are case-sensitive
  ]
  for (const [filter, topic, expected] of cases) {
    it(`${filter} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(topic)}`, () => {
      expect(topicMatches(filter, topic)).toBe(expected)
    })
  }

  it('keeps $-topics away from first-level wildcards [MQTT-4.7.2-1]', () => {
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false)
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true)
    expect(topicMatches('$SYS/+/uptime', '$SYS/broker/uptime')).toBe(true)
  })
})

describe('topicFilterProblem', () => {
  it('accepts valid filters', () => {
    for (const f of ['a', 'a/b', '+', '#', 'a/+/b', 'a/#', '+/+/#', '/', '$SYS/#']) expect(topicFilterProblem(f)).toBeNull()
  })
  it('refuses misplaced wildcards', () => {
    expect(topicFilterProblem('a/#/b')).toMatch(/#/)
    expect(topicFilterProblem('a#')).toMatch(/#/)
    expect(topicFilterProblem('a/b+')).toMatch(/\+/)
    expect(topicFilterProblem('+a')).toMatch(/\+/)
    expect(topicFilterProblem('')).toBe('is empty')
  })
})

describe('compileTopicFilter', () => {
  it('matches everything when empty', () => {
    const c = compileTopicFilter('   ')
    expect(c.ok && c.match('anything/at/all')).toBe(true)
  })
  it('matches exactly without wildcards', () => {
    const c = compileTopicFilter('a/b')
    if (!c.ok) throw new Error('should compile')
    expect(c.match('a/b')).toBe(true)
    expect(c.match('a/bc')).toBe(false)
  })
  it('reports an invalid filter', () => {
    const c = compileTopicFilter('a/#/c')
    expect(c.ok).toBe(false)
  })
})

describe('compileTopicSearch', () => {
  it('uses a case-insensitive substring for plain text', () => {
    const c = compileTopicSearch('Kitchen')
    if (!c.ok) throw new Error('should compile')
    expect(c.match('home/kitchen/temp')).toBe(true)
    expect(c.match('home/garage/temp')).toBe(false)
  })
  it('uses MQTT matching when the text has wildcards', () => {
    const c = compileTopicSearch('home/+/temp')
    if (!c.ok) throw new Error('should compile')
    expect(c.match('home/kitchen/temp')).toBe(true)
    expect(c.match('home/kitchen/humidity')).toBe(false)
  })
})
