import { writeFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { loadAuthFile, parseAuthText, valueLines } from '../../../src/main/broker/auth/auth-file'
import { hashPassword } from '../../../src/main/broker/auth/password-hash'
import { FAST, tempDir } from './auth-helpers'

const HASH = hashPassword('pw', FAST)

describe('auth file', () => {
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(() => {
    tmp?.cleanup()
    tmp = null
  })

  it('accepts users and rules in JSON5 (comments, unquoted keys, trailing commas)', () => {
    const text = `// users and rules
{
  users: [
    { username: 'alice', password: '${HASH}' }, // the admin
  ],
  /* rules */
  acl: [
    { user: 'alice', topic: 'alice/#', access: 'readwrite' },
    { clientId: 'sensor-1', topic: 'sensors/%c/#', access: 'write' },
    { anonymous: true, topic: 'public/#', access: 'read' },
    { topic: 'secret/#', access: 'deny' },
  ],
}`
    const result = parseAuthText(text, 'auth.json5')
    expect(result).toEqual({
      ok: true,
      data: {
        users: [{ username: 'alice', password: HASH }],
        acl: [
          { user: 'alice', topic: 'alice/#', access: 'readwrite' },
          { clientId: 'sensor-1', topic: 'sensors/%c/#', access: 'write' },
          { anonymous: true, topic: 'public/#', access: 'read' },
          { topic: 'secret/#', access: 'deny' }
        ]
      }
    })
    expect(parseAuthText('{}', 'empty.json5')).toEqual({ ok: true, data: { users: [], acl: [] } })
  })

  it('reports a JSON5 syntax error with line and column', () => {
    const result = parseAuthText('{\n  users: [\n    { username: alice }\n  ]\n}', 'auth.json5')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toHaveLength(1)
    expect(result.errors[0]).toMatch(/^auth\.json5:3:17: invalid character 'a'/)
  })

  it('reports each bad entry with the line it is on', () => {
    const text = [
      '{', //                                                        1
      '  users: [', //                                               2
      `    { username: 'alice', password: '${HASH}' },`, //          3
      "    { username: 'bob', password: 'hunter2' },", //            4
      `    { username: 'alice', password: '${HASH}' },`, //          5
      '  ],', //                                                     6
      '  acl: [', //                                                 7
      "    { user: 'alice', topic: 'a/#', access: 'readwrite' },", // 8
      '    {', //                                                    9
      "      topic: 'b/#',", //                                      10
      "      access: 'rw',", //                                      11
      '    },', //                                                   12
      "    { topic: 'c/#x', access: 'read' },", //                  13
      "    { user: 'bob', anonymous: true, topic: 'd', access: 'read' },", // 14
      "    { topic: 'e', acess: 'read' },", //                      15
      '  ],', //                                                     16
      '  groups: [],', //                                            17
      '}'
    ].join('\n')
    const result = parseAuthText(text, 'auth.json5')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.errors).toEqual([
      'auth.json5:17: groups: unknown key; expected users, acl',
      expect.stringMatching(/^auth\.json5:4: users\[1\]\.password: must be a hash like scrypt-sha256\$N\$r\$p\$salt\$hash/),
      'auth.json5:5: users[2].username: "alice" is already users[0]; give each user once',
      'auth.json5:11: acl[1].access: must be one of read, write, readwrite, deny (got "rw")',
      `auth.json5:13: acl[2].topic: '#' must occupy a whole level (got "c/#x")`,
      'auth.json5:14: acl[3].anonymous: a rule is for a user or for anonymous clients, not both',
      'auth.json5:15: acl[4].acess: unknown key (did you mean access?); expected user, clientId, anonymous, topic, access',
      'auth.json5:15: acl[4].access: must be one of read, write, readwrite, deny (missing)'
    ])
  })

  it('finds value lines by path, skipping strings and comments', () => {
    const lines = valueLines('{\n // users: [\n "users": [\n  {\n   username: "x}", // ]\n  },\n ],\n}')
    expect(lines.get('users')).toBe(3)
    expect(lines.get('users[0]')).toBe(4)
    expect(lines.get('users[0].username')).toBe(5)
  })

  it('loadAuthFile says when the file is missing or unreadable, and never throws', async () => {
    tmp = tempDir()
    expect(await loadAuthFile(tmp.path('nope.json5'))).toEqual({
      ok: false,
      errors: [`auth file ${tmp.path('nope.json5')}: file not found`],
      summary: 'cannot be read: see the broker log'
    })
    expect(await loadAuthFile(tmp.path('nope.json5'), { missingOk: true })).toEqual({ ok: true, data: { users: [], acl: [] } })
    expect(await loadAuthFile(tmp.dir)).toEqual({
      ok: false,
      errors: [`auth file ${tmp.dir}: not a regular file (a directory)`],
      summary: 'not a regular file'
    })
    writeFileSync(tmp.path('list.json5'), '[1, 2]')
    const top = await loadAuthFile(tmp.path('list.json5'))
    expect(top.ok).toBe(false)
    if (!top.ok) {
      expect(top.errors[0]).toMatch(/list\.json5:1: must contain an object at the top level/)
      expect(top.summary).toBe('not a valid auth file: see the broker log')
    }
  })
})
