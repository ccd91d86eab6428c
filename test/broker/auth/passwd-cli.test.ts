import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadAuthFile, parseAuthText } from '../../../src/main/broker/auth/auth-file'
import { verifyPasswordSync } from '../../../src/main/broker/auth/password-hash'
import { main } from '../../../src/main/headless/cli'
import { passwdMain, type PasswdIo } from '../../../src/main/headless/passwd-command'
import { tempDir } from './auth-helpers'

function capture(password?: string): PasswdIo & { out: string[]; err: string[]; asked: number } {
  const io = {
    out: [] as string[],
    err: [] as string[],
    asked: 0,
    stdout: (line: string) => void io.out.push(line),
    stderr: (line: string) => void io.err.push(line),
    readPassword: async () => {
      io.asked++
      return password ?? ''
    }
  }
  return io
}

function users(file: string): Array<{ username: string; password: string }> {
  const loaded = parseAuthText(readFileSync(file, 'utf8'), file)
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return loaded.data.users
}

describe('brokerscope passwd', () => {
  let tmp: ReturnType<typeof tempDir> | null = null
  afterEach(() => {
    tmp?.cleanup()
    tmp = null
  })

  it('add creates the file, hashes the password, and changes it when the user exists', async () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    const io = capture()
    expect(await passwdMain([file, 'add', 'alice', '--password', 'pw1'], io)).toBe(0)
    expect(io.err).toEqual([])
    expect(io.out[0]).toBe(`added user alice in ${file}`)
    expect(io.asked).toBe(0)
    let stored = users(file)
    expect(stored.map((u) => u.username)).toEqual(['alice'])
    expect(stored[0].password).toMatch(/^scrypt-sha256\$16384\$8\$1\$/)
    expect(readFileSync(file, 'utf8')).not.toContain('pw1')
    expect(verifyPasswordSync('pw1', stored[0].password)).toBe(true)
    expect(statSync(file).mode & 0o777).toBe(0o600)

    const fromStdin = capture('pw2')
    expect(await passwdMain([file, 'add', 'alice'], fromStdin)).toBe(0)
    expect(fromStdin.asked).toBe(1)
    expect(fromStdin.out[0]).toBe(`changed the password of user alice in ${file}`)
    stored = users(file)
    expect(stored).toHaveLength(1)
    expect(verifyPasswordSync('pw2', stored[0].password)).toBe(true)
  })

  it('list and delete; the ACL rules in the file are kept', async () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    writeFileSync(file, "// rules\n{ acl: [ { user: 'bob', topic: 'bob/#', access: 'readwrite' } ] }\n")
    await passwdMain([file, 'add', 'bob', '--password=b'], capture())
    await passwdMain([file, 'add', 'alice', '-p', 'a'], capture())
    const list = capture()
    expect(await passwdMain([file, 'list'], list)).toBe(0)
    expect(list.out).toEqual(['bob', 'alice'])

    const del = capture()
    expect(await passwdMain([file, 'delete', 'bob'], del)).toBe(0)
    expect(del.out).toEqual([`deleted user bob from ${file}`])
    const loaded = await loadAuthFile(file)
    expect(loaded).toEqual({
      ok: true,
      data: {
        users: [{ username: 'alice', password: expect.stringMatching(/^scrypt-sha256\$/) }],
        acl: [{ user: 'bob', topic: 'bob/#', access: 'readwrite' }]
      }
    })

    const missing = capture()
    expect(await passwdMain([file, 'delete', 'bob'], missing)).toBe(1)
    expect(missing.err).toEqual([`brokerscope passwd: ${file} has no user "bob"`])
  })

  it('refuses an empty password, bad command lines, and a broken file (leaving it as it is)', async () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    const empty = capture('')
    expect(await passwdMain([file, 'add', 'alice'], empty)).toBe(2)
    expect(empty.err).toEqual(['brokerscope passwd: the password must not be empty'])
    expect(existsSync(file)).toBe(false)
    expect(await passwdMain([file, 'add', 'alice', '--password', ''], capture())).toBe(2)

    const bad = capture()
    expect(await passwdMain([file, 'rename', 'alice'], bad)).toBe(2)
    expect(bad.err[0]).toBe('brokerscope passwd: unknown command "rename" (add, delete or list)')
    expect(await passwdMain([file, 'add'], capture())).toBe(2)
    expect(await passwdMain([file, 'list', 'extra'], capture())).toBe(2)
    expect(await passwdMain([], capture())).toBe(2)

    writeFileSync(file, '{ users: [ { username: "x", password: "plain" } ] }')
    const broken = capture()
    expect(await passwdMain([file, 'add', 'y', '--password', 'p'], broken)).toBe(1)
    expect(broken.err[0]).toMatch(/auth\.json5:1: users\[0\]\.password: must be a hash/)
    expect(readFileSync(file, 'utf8')).toBe('{ users: [ { username: "x", password: "plain" } ] }')
  })

  it('is reached through the main command line', async () => {
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    const io = capture()
    expect(await main(['passwd', file, 'add', 'carol', '--password', 'c'], io)).toBe(0)
    expect(users(file).map((u) => u.username)).toEqual(['carol'])
  })

  const CLI = join(process.cwd(), 'out/main/cli.js')
  it('works through the built out/main/cli.js, reading the password from stdin', () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true)
    tmp = tempDir()
    const file = tmp.path('auth.json5')
    const add = spawnSync(process.execPath, [CLI, 'passwd', file, 'add', 'dave'], { input: 'from-stdin\n', encoding: 'utf8' })
    expect(add.stderr).toBe('')
    expect(add.status).toBe(0)
    expect(verifyPasswordSync('from-stdin', users(file)[0].password)).toBe(true)
    const list = spawnSync(process.execPath, [CLI, 'passwd', file, 'list'], { encoding: 'utf8' })
    expect(list.stdout).toBe('dave\n')
    const empty = spawnSync(process.execPath, [CLI, 'passwd', file, 'add', 'erin'], { input: '\n', encoding: 'utf8' })
    expect(empty.status).toBe(2)
    expect(empty.stderr).toContain('the password must not be empty')
    const del = spawnSync(process.execPath, [CLI, 'passwd', file, 'delete', 'dave'], { encoding: 'utf8' })
    expect(del.status).toBe(0)
    expect(users(file)).toEqual([])
  })
})
