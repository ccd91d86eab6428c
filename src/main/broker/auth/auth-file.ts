/**
 * The auth file: one JSON5 document (the config file's format: comments, trailing commas, unquoted
 * keys) with the users and the ACL rules:
 *
 *   {
 *     users: [
 *       { username: 'alice', password: 'scrypt-sha256$16384$8$1$…$…' },   // brokerscope passwd FILE add alice
 *     ],
 *     acl: [
 *       { user: 'alice', topic: 'alice/#', access: 'readwrite' },
 *       { clientId: 'sensor-1', topic: 'sensors/%c/#', access: 'write' },
 *       { anonymous: true, topic: 'public/#', access: 'read' },
 *       { topic: 'users/%u/#', access: 'readwrite' },                // every client with a user name
 *       { topic: 'secret/#', access: 'deny' },
 *     ],
 *   }
 *
 * Both keys are optional. Every error names the file and the line of the entry:
 *
 *   auth.json5:3:14: invalid character 'x'
 *   auth.json5:9: acl[1].access: must be one of read, write, readwrite, deny (got "rw")
 */
import JSON5 from 'json5'
import { DEFAULT_SETTINGS } from '../../../shared/settings'
import { closestMatch } from '../../config/cli-args'
import { describeSyntaxError } from '../../config/config-file'
import { readSettingFile } from '../../config/setting-file'
import { scanJson5Lines, type Json5PathStep } from '../../config/json5-key-lines'
import { validateTopicFilter } from '../topics/topic-validation'
import { ACL_ACCESS, type AclRule } from './acl'
import { parsePasswordHash } from './password-hash'

export interface AuthUser {
  username: string
  /** scrypt-sha256$N$r$p$salt$hash, or the older scrypt$… (see password-hash.ts). */
  password: string
}

export interface AuthData {
  users: AuthUser[]
  acl: AclRule[]
}

/**
 * `errors`: every problem, with the file name and line, for the log and the operator's terminal.
 * `summary` (failures only): what a reply to the UI or the API may say; never the file's contents.
 */
export type AuthFileResult = { ok: true; data: AuthData } | { ok: false; errors: string[]; summary?: string; tooLarge?: boolean }

const TOP_KEYS = ['users', 'acl']
const USER_KEYS = ['username', 'password']
const RULE_KEYS = ['user', 'clientId', 'anonymous', 'topic', 'access']

/** The summary of a file that was read but is not a valid auth file. */
export const INVALID_AUTH_FILE = 'not a valid auth file: see the broker log'

/**
 * Read and check an auth file without blocking the event loop (see config/setting-file.ts: only a
 * regular file up to `maxBytes`). Never throws. `missingOk`: a file that does not exist is empty.
 */
export async function loadAuthFile(path: string, options: { missingOk?: boolean; maxBytes?: number } = {}): Promise<AuthFileResult> {
  const read = await readSettingFile(path, options.maxBytes ?? DEFAULT_SETTINGS.maxSettingFileSize)
  if (!read.ok) {
    if (read.problem === 'missing' && options.missingOk) return { ok: true, data: { users: [], acl: [] } }
    const failed: AuthFileResult = { ok: false, errors: [`auth file ${read.detail}`], summary: read.summary }
    if (read.problem === 'too-large') failed.tooLarge = true
    return failed
  }
  let result: AuthFileResult
  try {
    result = parseAuthText(read.data.toString('utf8'), path)
  } catch (err) {
    result = { ok: false, errors: [`${path}: ${err instanceof Error ? err.message : String(err)}`] }
  }
  return result.ok ? result : { ...result, summary: INVALID_AUTH_FILE }
}

/** Parse and check auth file text; `name` is what error messages call the file. */
export function parseAuthText(text: string, name: string): AuthFileResult {
  let data: unknown
  try {
    data = JSON5.parse(text)
  } catch (err) {
    return { ok: false, errors: [describeSyntaxError(err, name)] }
  }
  const lines = valueLines(text)
  return validateAuthData(data, (path) => {
    const line = lineOf(lines, path)
    return line === undefined ? `${name}:` : `${name}:${line}:`
  })
}

/**
 * Check a parsed auth document. `where(path)` gives the prefix for an error at a path such as
 * 'acl[2].access' (the file name and line, when known).
 */
export function validateAuthData(data: unknown, where: (path: string) => string = () => ''): AuthFileResult {
  const errors: string[] = []
  const fail = (path: string, message: string): void => {
    const prefix = where(path)
    errors.push(`${prefix}${prefix ? ' ' : ''}${path ? `${path}: ` : ''}${message}`)
  }
  if (!isRecord(data)) {
    fail('', 'must contain an object at the top level, like { users: [], acl: [] }')
    return { ok: false, errors }
  }
  for (const key of Object.keys(data)) if (!TOP_KEYS.includes(key)) fail(key, unknownKey(key, TOP_KEYS))

  const users: AuthUser[] = []
  const seen = new Map<string, number>()
  const rawUsers = data.users ?? []
  if (!Array.isArray(rawUsers)) fail('users', 'must be a list like [{ username: "alice", password: "scrypt-sha256$…" }]')
  else
    rawUsers.forEach((entry: unknown, index) => {
      const path = `users[${index}]`
      if (!isRecord(entry)) {
        fail(path, 'must be an object like { username: "alice", password: "scrypt-sha256$…" }')
        return
      }
      let good = true
      for (const key of Object.keys(entry)) {
        if (USER_KEYS.includes(key)) continue
        good = false
        fail(`${path}.${key}`, unknownKey(key, USER_KEYS))
      }
      const { username, password } = entry
      if (typeof username !== 'string' || username.length === 0) {
        good = false
        fail(`${path}.username`, `must be a non-empty string${username === undefined ? ' (missing)' : ` (got ${show(username)})`}`)
      } else if (seen.has(username)) {
        good = false
        fail(`${path}.username`, `"${username}" is already users[${seen.get(username)}]; give each user once`)
      }
      if (typeof password !== 'string') {
        good = false
        fail(`${path}.password`, `must be a password hash string${password === undefined ? ' (missing)' : ` (got ${show(password)})`}`)
      } else {
        const parsed = parsePasswordHash(password)
        if (typeof parsed === 'string') {
          good = false
          fail(`${path}.password`, parsed)
        }
      }
      if (typeof username === 'string' && !seen.has(username)) seen.set(username, index)
      if (good) users.push({ username: username as string, password: password as string })
    })

  const acl: AclRule[] = []
  const rawAcl = data.acl ?? []
  if (!Array.isArray(rawAcl)) fail('acl', "must be a list like [{ user: 'alice', topic: 'alice/#', access: 'readwrite' }]")
  else
    rawAcl.forEach((entry: unknown, index) => {
      const path = `acl[${index}]`
      if (!isRecord(entry)) {
        fail(path, "must be an object like { topic: 'a/#', access: 'read' }")
        return
      }
      let good = true
      const bad = (at: string, message: string): void => {
        good = false
        fail(at, message)
      }
      for (const key of Object.keys(entry)) if (!RULE_KEYS.includes(key)) bad(`${path}.${key}`, unknownKey(key, RULE_KEYS))
      const { user, clientId, anonymous, topic, access } = entry
      if (user !== undefined && (typeof user !== 'string' || user.length === 0))
        bad(`${path}.user`, `must be a non-empty string (got ${show(user)})`)
      if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) {
        bad(`${path}.clientId`, `must be a non-empty string (got ${show(clientId)})`)
      }
      if (anonymous !== undefined && typeof anonymous !== 'boolean')
        bad(`${path}.anonymous`, `must be true or false (got ${show(anonymous)})`)
      if (anonymous === true && user !== undefined) bad(`${path}.anonymous`, 'a rule is for a user or for anonymous clients, not both')
      if (typeof topic !== 'string')
        bad(`${path}.topic`, `must be a topic filter string${topic === undefined ? ' (missing)' : ` (got ${show(topic)})`}`)
      else {
        const problem = validateTopicFilter(topic)
        if (problem) bad(`${path}.topic`, `${problem} (got ${show(topic)})`)
        else if (topic.startsWith('$share/')) bad(`${path}.topic`, 'give the topic filter without the $share/group/ prefix')
      }
      if (!ACL_ACCESS.includes(access as never)) {
        bad(`${path}.access`, `must be one of ${ACL_ACCESS.join(', ')}${access === undefined ? ' (missing)' : ` (got ${show(access)})`}`)
      }
      if (!good) return
      const rule: AclRule = { topic: topic as string, access: access as AclRule['access'] }
      if (user !== undefined) rule.user = user as string
      if (clientId !== undefined) rule.clientId = clientId as string
      if (anonymous === true) rule.anonymous = true
      acl.push(rule)
    })

  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, data: { users, acl } }
}

function unknownKey(key: string, known: readonly string[]): string {
  const hint = closestMatch(key, known)
  return `unknown key${hint ? ` (did you mean ${hint}?)` : ''}; expected ${known.join(', ')}`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function show(value: unknown): string {
  try {
    const shown = JSON.stringify(value)
    if (shown === undefined) return String(value)
    return shown.length > 40 ? shown.slice(0, 37) + '...' : shown
  } catch {
    return String(value)
  }
}

/** The line of `path`, or of its nearest parent that has one ('acl[2].access' → 'acl[2]' → 'acl'). */
function lineOf(lines: Map<string, number>, path: string): number | undefined {
  let at = path
  for (;;) {
    const line = lines.get(at)
    if (line !== undefined) return line
    if (at === '') return undefined
    const cut = Math.max(at.lastIndexOf('.'), at.lastIndexOf('['))
    at = cut <= 0 ? '' : at.slice(0, cut)
  }
}

/**
 * The line (1-based) where each value starts, by path ('users[0]', 'acl[2].access'), found by
 * scanning the text and skipping strings and comments. Only called on text JSON5 accepted. Keys
 * count as where their value is, so an error about a value points at the line of its key.
 */
export function valueLines(text: string): Map<string, number> {
  const lines = new Map<string, number>()
  for (const mark of scanJson5Lines(text)) {
    const path = pathName(mark.path)
    if (mark.kind === 'key' || !lines.has(path)) lines.set(path, mark.line)
  }
  return lines
}

/** ['acl', 2, 'access'] → 'acl[2].access' (the paths validateAuthData names). */
function pathName(path: readonly Json5PathStep[]): string {
  let name = ''
  for (const step of path) name = typeof step === 'number' ? `${name}[${step}]` : name === '' ? step : `${name}.${step}`
  return name
}
