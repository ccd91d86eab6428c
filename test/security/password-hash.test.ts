/**
 * Finding 6 of the security review (issue 16): scrypt keys HMAC with the password, so with the
 * password itself as the key, "bobpw\0" logged in as "bobpw" and a password over 64 bytes was
 * accepted as its SHA-256. New hashes (scrypt-sha256$…, written by `brokerscope passwd`) hash the
 * password with SHA-256 first, so every distinct byte string is distinct; old scrypt$… entries
 * still verify (with the old weakness, until the password is set again).
 */
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { hashPassword, hashPasswordLegacy, verifyPassword } from '../../src/main/broker/auth/password-hash'
import { passwdMain } from '../../src/main/headless/passwd-command'
import { FAST, refusalCode, startAuthBroker, tempDir, type AuthBroker } from '../broker/auth/auth-helpers'

const LONG = 'a'.repeat(80) // over HMAC-SHA-256's 64-byte block
const LONG_AS_SHA256 = createHash('sha256').update(LONG).digest()

describe('password hashes', () => {
  it('new hashes tell apart passwords HMAC key padding used to merge', async () => {
    const short = hashPassword('bobpw', FAST)
    expect(short.startsWith('scrypt-sha256$')).toBe(true)
    expect(await verifyPassword('bobpw', short)).toBe(true)
    expect(await verifyPassword('bobpw\0', short)).toBe(false)
    expect(await verifyPassword(Buffer.from('bobpw\0\0\0'), short)).toBe(false)
    const long = hashPassword(LONG, FAST)
    expect(await verifyPassword(LONG, long)).toBe(true)
    expect(await verifyPassword(LONG_AS_SHA256, long)).toBe(false)
  })

  it('old scrypt$ hashes still verify (and show why the new kind exists)', async () => {
    const old = hashPasswordLegacy('bobpw', FAST)
    expect(old.startsWith('scrypt$')).toBe(true)
    expect(await verifyPassword('bobpw', old)).toBe(true)
    expect(await verifyPassword('bobpx', old)).toBe(false)
    // The weakness of the old kind, kept for compatibility: this is what the new kind fixes.
    expect(await verifyPassword('bobpw\0', old)).toBe(true)
    expect(await verifyPassword(LONG_AS_SHA256, hashPasswordLegacy(LONG, FAST))).toBe(true)
  })
})

describe('logging in (auth file written by brokerscope passwd, MQTT.js clients)', () => {
  const tmp = tempDir('brokerscope-pw-')
  let b: AuthBroker | null = null
  afterEach(async () => {
    await b?.close()
    b = null
  })

  it('"bobpw\\0" is not "bobpw", and a long password is not its SHA-256', async () => {
    const file = tmp.path('auth.json5')
    const io = { stdout: () => {}, stderr: () => {} }
    expect(await passwdMain([file, 'add', 'bob', '--password', 'bobpw'], io)).toBe(0)
    expect(await passwdMain([file, 'add', 'long', '--password', LONG], io)).toBe(0)
    b = await startAuthBroker({ authFile: file, allowAnonymous: false })

    const ok = await b.connect({ username: 'bob', password: Buffer.from('bobpw') })
    await ok.endAsync()
    expect(await refusalCode(b.connect({ username: 'bob', password: Buffer.from('bobpw\0') }))).toBe(4)
    expect(await refusalCode(b.connect({ username: 'bob', password: Buffer.from('bobpw\0', 'utf8'), protocolVersion: 5 }))).toBe(0x86)

    const long = await b.connect({ username: 'long', password: Buffer.from(LONG) })
    await long.endAsync()
    expect(await refusalCode(b.connect({ username: 'long', password: LONG_AS_SHA256 }))).toBe(4)
  })
})
