import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parsePasswordHash,
  verifyPassword,
  verifyPasswordSync
} from '../../../src/main/broker/auth/password-hash'

describe('password hashes', () => {
  it('are scrypt-sha256$N$r$p$salt$hash with the default parameters and a random salt', () => {
    const a = hashPassword('secret')
    const b = hashPassword('secret')
    expect(a).toMatch(/^scrypt-sha256\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/)
    expect(a).not.toBe(b) // a new salt each time
    const parsed = parsePasswordHash(a)
    expect(parsed).toMatchObject({ N: DEFAULT_SCRYPT_PARAMS.N, r: 8, p: 1 })
    if (typeof parsed === 'string') throw new Error(parsed)
    expect(parsed.salt.length).toBe(16)
    expect(parsed.hash.length).toBe(32)
  })

  it('verify the right password and refuse a wrong one (async and sync)', async () => {
    const stored = hashPassword('correct horse', { N: 1024, r: 8, p: 1 })
    expect(await verifyPassword('correct horse', stored)).toBe(true)
    expect(await verifyPassword(Buffer.from('correct horse'), stored)).toBe(true)
    expect(await verifyPassword('correct hors', stored)).toBe(false)
    expect(await verifyPassword('', stored)).toBe(false)
    expect(verifyPasswordSync('correct horse', stored)).toBe(true)
    expect(verifyPasswordSync('Correct horse', stored)).toBe(false)
  })

  it('keep their own cost parameters, so a hash made with other ones still verifies', async () => {
    const stored = hashPassword('pw', { N: 2048, r: 4, p: 2 })
    expect(stored.startsWith('scrypt-sha256$2048$4$2$')).toBe(true)
    expect(await verifyPassword('pw', stored)).toBe(true)
  })

  it('refuse malformed hashes with a reason, and never verify against them', async () => {
    expect(parsePasswordHash('plaintext')).toMatch(/must be a hash like scrypt-sha256\$N\$r\$p\$salt\$hash/)
    expect(parsePasswordHash('scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).toMatch(/power of two/)
    expect(parsePasswordHash('scrypt$1024$0$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).toMatch(/r must be/)
    expect(parsePasswordHash('scrypt$1024$8$1$not*base64$aGFzaGhhc2hoYXNoaGFzaA==')).toMatch(/salt is not base64/)
    expect(parsePasswordHash('scrypt$1024$8$1$c2FsdHNhbHQ=$aGFzaA==')).toMatch(/hash is shorter/)
    expect(parsePasswordHash(`scrypt$${1 << 22}$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`)).toMatch(/power of two between/)
    expect(await verifyPassword('x', 'plaintext')).toBe(false)
  })
})
