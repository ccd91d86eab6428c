/**
 * Password hashes for the auth file: scrypt (node:crypto) with a random 16-byte salt, of the
 * password's SHA-256, stored as
 *
 *   scrypt-sha256$N$r$p$<salt, base64>$<hash, base64>
 *
 * Why SHA-256 first: scrypt keys HMAC-SHA-256 (in its PBKDF2 step) with the password, and HMAC pads
 * a key with zero bytes and replaces one longer than 64 bytes by its SHA-256. So with the password
 * itself as the key, "bobpw\0" verified as "bobpw", and a password over 64 bytes as its own
 * SHA-256. Hashed first, every password becomes exactly 32 bytes and distinct byte strings stay
 * distinct. The older `scrypt$N$r$p$salt$hash` entries (the password itself as the key) still
 * verify; `brokerscope passwd` writes the new kind.
 *
 * The cost parameters travel with the hash, so a file keeps working when the defaults change.
 * Verification recomputes the hash with the stored parameters and compares with timingSafeEqual.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto'

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number
  r: number
  p: number
}

/** 2^14, 8, 1: the parameters RFC 7914 and OWASP suggest for interactive logins (16 MiB, tens of ms). */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 16384, r: 8, p: 1 })

const SALT_BYTES = 16
const HASH_BYTES = 32
/** Bounds that keep a hostile or mistyped file from asking for gigabytes of memory per login. */
const MAX_N = 1 << 20
const MAX_R = 32
const MAX_P = 16

export interface ParsedHash extends ScryptParams {
  salt: Buffer
  hash: Buffer
  /** scrypt-sha256$…: the password's SHA-256 is what scrypt hashes. False for the older scrypt$… entries. */
  prehashed: boolean
}

/** The current kind (what hashPassword writes) and the older one (still verified). */
const PREHASHED_SCHEME = 'scrypt-sha256'
const LEGACY_SCHEME = 'scrypt'

/** Parse a stored hash; returns a description of the problem instead when it is not one. */
export function parsePasswordHash(stored: string): ParsedHash | string {
  const parts = stored.split('$')
  if (parts.length !== 6 || (parts[0] !== PREHASHED_SCHEME && parts[0] !== LEGACY_SCHEME)) {
    return 'must be a hash like scrypt-sha256$N$r$p$salt$hash (make one with `brokerscope passwd FILE add USER`)'
  }
  const [, n, r, p, salt, hash] = parts
  const N = Number(n)
  const R = Number(r)
  const P = Number(p)
  if (!/^\d+$/.test(n) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return `scrypt N must be a power of two between 2 and ${MAX_N}`
  if (!/^\d+$/.test(r) || R < 1 || R > MAX_R) return `scrypt r must be between 1 and ${MAX_R}`
  if (!/^\d+$/.test(p) || P < 1 || P > MAX_P) return `scrypt p must be between 1 and ${MAX_P}`
  const base64 = /^[A-Za-z0-9+/]+={0,2}$/
  if (!base64.test(salt)) return 'the salt is not base64'
  if (!base64.test(hash)) return 'the hash is not base64'
  const saltBytes = Buffer.from(salt, 'base64')
  const hashBytes = Buffer.from(hash, 'base64')
  if (saltBytes.length < 8) return 'the salt is shorter than 8 bytes'
  if (hashBytes.length < 16) return 'the hash is shorter than 16 bytes'
  return { N, r: R, p: P, salt: saltBytes, hash: hashBytes, prehashed: parts[0] === PREHASHED_SCHEME }
}

/** What scrypt is given for this password: its SHA-256 (fixed length, see above), or itself for old hashes. */
function scryptInput(password: string | Buffer, prehashed: boolean): Buffer | string {
  return prehashed ? createHash('sha256').update(password).digest() : password
}

function options(params: ScryptParams): ScryptOptions {
  // scrypt needs 128 * N * r bytes; Node's default cap (32 MiB) would refuse larger valid settings.
  return { N: params.N, r: params.r, p: params.p, maxmem: 128 * params.N * params.r * 2 + 1024 * 1024 }
}

function format(scheme: string, params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return `${scheme}$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** Hash a password with a new random salt (synchronous: for the passwd command and tests). */
export function hashPassword(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): string {
  const salt = randomBytes(SALT_BYTES)
  const hash = scryptSync(scryptInput(password, true), salt, HASH_BYTES, options(params))
  return format(PREHASHED_SCHEME, params, salt, hash)
}

/**
 * The older kind (scrypt$…, the password itself given to scrypt), kept so tests can check that
 * files written before scrypt-sha256 still verify. Not used to write new hashes.
 */
export function hashPasswordLegacy(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): string {
  const salt = randomBytes(SALT_BYTES)
  return format(LEGACY_SCHEME, params, salt, scryptSync(password, salt, HASH_BYTES, options(params)))
}

/** hashPassword off the event loop (scrypt on libuv's pool): for a running broker (the management API's users). */
export function hashPasswordAsync(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  return new Promise((resolve, reject) => {
    scrypt(scryptInput(password, true), salt, HASH_BYTES, options(params), (err, hash) =>
      err ? reject(err) : resolve(format(PREHASHED_SCHEME, params, salt, hash))
    )
  })
}

/** Check a password against a stored hash without blocking the event loop (scrypt runs on libuv's pool). */
export function verifyPassword(password: string | Buffer, stored: string | ParsedHash): Promise<boolean> {
  const parsed = typeof stored === 'string' ? parsePasswordHash(stored) : stored
  if (typeof parsed === 'string') return Promise.resolve(false)
  return new Promise((resolve) => {
    scrypt(scryptInput(password, parsed.prehashed), parsed.salt, parsed.hash.length, options(parsed), (err, derived) => {
      resolve(err === null && derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash))
    })
  })
}

/** The synchronous form of verifyPassword. */
export function verifyPasswordSync(password: string | Buffer, stored: string | ParsedHash): boolean {
  const parsed = typeof stored === 'string' ? parsePasswordHash(stored) : stored
  if (typeof parsed === 'string') return false
  const derived = scryptSync(scryptInput(password, parsed.prehashed), parsed.salt, parsed.hash.length, options(parsed))
  return timingSafeEqual(derived, parsed.hash)
}
