import { describe, expect, it } from 'vitest'
import { Acl, covers, matches } from '../../../src/main/broker/auth/acl'

const split = (s: string): string[] => s.split('/')

describe('ACL filter covering (SUBSCRIBE)', () => {
  const cases: Array<[rule: string, filter: string, covered: boolean]> = [
    ['a/#', 'a/+/b', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a', true], // 'a/#' matches the parent level
    ['a/#', 'a/b/c', true],
    ['a/#', 'b/#', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/+', true],
    ['a/+', 'a/#', false], // '#' reaches deeper than '+'
    ['a/+', 'a', false],
    ['a/+', 'a/b/c', false],
    ['+/b', '#', false],
    ['+/b', 'x/b', true],
    ['+/b', '+/b', true],
    ['a/b', 'a/+', false],
    ['a/b', 'a/b', true],
    ['#', '#', true],
    ['#', 'x/+/y', true],
    ['#', '$SYS/#', false], // wildcards never reach $ topics
    ['+/#', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker/+', true]
  ]
  for (const [rule, filter, covered] of cases) {
    it(`'${rule}' ${covered ? 'covers' : 'does not cover'} '${filter}'`, () => {
      expect(covers(split(rule), split(filter))).toBe(covered)
    })
  }

  it('matches topics like MQTT does', () => {
    expect(matches(split('a/#'), split('a'))).toBe(true)
    expect(matches(split('a/+/c'), split('a/b/c'))).toBe(true)
    expect(matches(split('a/+'), split('a/b/c'))).toBe(false)
    expect(matches(split('#'), split('$SYS/x'))).toBe(false)
    expect(matches(split('$SYS/#'), split('$SYS/x'))).toBe(true)
  })
})

describe('ACL evaluation', () => {
  const acl = new Acl([
    { topic: 'public/#', access: 'read' },
    { user: 'alice', topic: 'alice/#', access: 'readwrite' },
    { user: 'alice', topic: 'alice/private/#', access: 'deny' },
    { clientId: 'sensor-1', topic: 'sensors/%c/#', access: 'write' },
    { topic: 'users/%u/#', access: 'readwrite' },
    { topic: 'clients/%c/#', access: 'readwrite' },
    { anonymous: true, topic: 'guest/#', access: 'readwrite' },
    { topic: 'public/secret', access: 'deny' }
  ])

  it('gives each client the rules for its user, its client id, anonymity, and everyone', () => {
    const alice = acl.view({ clientId: 'c1', username: 'alice' })
    expect(alice.canWrite('alice/x')).toBe(true)
    expect(alice.canRead('alice/x')).toBe(true)
    expect(alice.canRead('public/news')).toBe(true)
    expect(alice.canWrite('public/news')).toBe(false) // read only
    expect(alice.canWrite('guest/x')).toBe(false) // anonymous only
    expect(alice.canWrite('sensors/c1/t')).toBe(false) // client sensor-1 only

    const sensor = acl.view({ clientId: 'sensor-1', username: null })
    expect(sensor.canWrite('sensors/sensor-1/temp')).toBe(true)
    expect(sensor.canWrite('sensors/sensor-2/temp')).toBe(false)
    expect(sensor.canRead('sensors/sensor-1/temp')).toBe(false) // write only
    expect(sensor.canWrite('guest/x')).toBe(true)
  })

  it('lets deny rules win over allow rules', () => {
    const alice = acl.view({ clientId: 'c1', username: 'alice' })
    expect(alice.canWrite('alice/private/diary')).toBe(false)
    expect(alice.canRead('alice/private/diary')).toBe(false)
    expect(alice.canSubscribe('alice/private/#')).toBe(false)
    expect(alice.canSubscribe('alice/#')).toBe(true) // overlaps the denied part: granted, filtered per message
    expect(alice.canRead('public/secret')).toBe(false)
    expect(alice.canSubscribe('public/#')).toBe(true)
  })

  it('substitutes %u and %c, and skips %u rules for anonymous clients', () => {
    const bob = acl.view({ clientId: 'phone', username: 'bob' })
    expect(bob.canWrite('users/bob/inbox')).toBe(true)
    expect(bob.canWrite('users/alice/inbox')).toBe(false)
    expect(bob.canSubscribe('users/bob/#')).toBe(true)
    expect(bob.canSubscribe('users/+/#')).toBe(false)
    expect(bob.canWrite('clients/phone/x')).toBe(true)
    expect(bob.canWrite('clients/laptop/x')).toBe(false)
    const anonymous = acl.view({ clientId: 'anon', username: null })
    expect(anonymous.canWrite('users//x')).toBe(false)
    expect(anonymous.canWrite('clients/anon/x')).toBe(true)
  })

  it('does not let a client id or user name with wildcards or / widen an allow rule', () => {
    for (const clientId of ['+', '#', 'a/b']) {
      const view = acl.view({ clientId, username: null })
      expect(view.canWrite('clients/other/x'), clientId).toBe(false)
      expect(view.canSubscribe('clients/+/#'), clientId).toBe(false)
    }
    const sneaky = acl.view({ clientId: 'x', username: '#' })
    expect(sneaky.canRead('users/alice/inbox')).toBe(false)
  })

  it('answers from its cache consistently', () => {
    const alice = acl.view({ clientId: 'c1', username: 'alice' })
    for (let i = 0; i < 3; i++) {
      expect(alice.canWrite('alice/x')).toBe(true)
      expect(alice.canRead('alice/x')).toBe(true)
      expect(alice.canWrite('public/x')).toBe(false)
      expect(alice.canRead('public/x')).toBe(true)
    }
    for (let i = 0; i < 5000; i++) alice.canRead(`public/${i}`)
    expect(alice.canRead('public/4999')).toBe(true)
    expect(alice.canRead('alice/private/x')).toBe(false)
  })

  it('is empty without rules', () => {
    expect(new Acl([]).empty).toBe(true)
    expect(acl.empty).toBe(false)
  })
})
