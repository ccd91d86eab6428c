/**
 * Access control lists: which client may publish to which topics and subscribe to / receive which.
 *
 * A rule names who it is for (a user, a client id, both, anonymous clients, or everyone when it
 * names nobody), a topic filter (with %c → client id and %u → user name), and an access:
 * 'read' (subscribe and receive), 'write' (publish), 'readwrite', or 'deny' (neither).
 *
 * Evaluation, for the rules that apply to the client:
 *   1. a deny rule that matches wins: refused;
 *   2. otherwise an allow rule with the right access that matches: allowed;
 *   3. otherwise refused. With no rules at all in the file, the ACL is off and everything is allowed.
 *
 * "Matches" means, for a PUBLISH or a delivered message, that the rule's filter matches the topic
 * (standard MQTT matching, so '#' and '+' do not match topics starting with '$'). For a SUBSCRIBE it
 * means the rule's filter COVERS the requested filter: every topic the requested filter can match,
 * the rule's filter matches too ('a/#' covers 'a', 'a/b', 'a/+/c' and 'a/#'; 'a/+' covers 'a/b' and
 * 'a/+' but not 'a/#'; '+/b' does not cover '#'). A deny rule refuses a SUBSCRIBE only when it
 * covers the whole requested filter; a filter that merely overlaps a denied area (subscribing '#'
 * with 'secret/#' denied) is granted, and every message is checked again on its way to the client,
 * so the denied topics never reach it.
 *
 * %c and %u are replaced whole-string. A rule with %u does not apply to a client without a user
 * name. When the client id or user name contains '/', '+' or '#', allow rules that substitute it do
 * not apply (they would reach other clients' topics); deny rules still do.
 *
 * Rules are compiled once per load; each client gets a view with its own rules substituted, and a
 * bounded cache of the topics it has asked about.
 */

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny'
export const ACL_ACCESS: readonly AclAccess[] = ['read', 'write', 'readwrite', 'deny']

export interface AclRule {
  /** For this user name only. */
  user?: string
  /** For this client id only (with user: both must match). */
  clientId?: string
  /** For clients that connected without a user name only. */
  anonymous?: boolean
  /** A topic filter; %c is the client id, %u the user name. */
  topic: string
  access: AclAccess
}

export interface AclIdentity {
  readonly clientId: string
  readonly username: string | null
}

interface CompiledRule {
  readonly user: string | null
  readonly clientId: string | null
  readonly anonymous: boolean
  readonly topic: string
  readonly usesClientId: boolean
  readonly usesUsername: boolean
  readonly read: boolean
  readonly write: boolean
  readonly deny: boolean
  /** Levels of the filter when it has no %c/%u (shared by every view). */
  readonly levels: readonly string[] | null
}

/** Topics remembered per client view; the cache is emptied when it reaches this size. */
const VIEW_CACHE_LIMIT = 4096
const READ_KNOWN = 1
const READ_ALLOWED = 2
const WRITE_KNOWN = 4
const WRITE_ALLOWED = 8

export class Acl {
  private readonly rules: readonly CompiledRule[]

  constructor(rules: readonly AclRule[]) {
    this.rules = rules.map(compile)
  }

  /** No rules: the ACL allows everything (callers skip it altogether). */
  get empty(): boolean {
    return this.rules.length === 0
  }

  get size(): number {
    return this.rules.length
  }

  /** The rules that apply to one client, substituted and split into levels. */
  view(identity: AclIdentity): AclView {
    const allowRead: string[][] = []
    const allowWrite: string[][] = []
    const deny: string[][] = []
    const { clientId, username } = identity
    for (const rule of this.rules) {
      if (rule.anonymous && username !== null) continue
      if (rule.user !== null && rule.user !== username) continue
      if (rule.clientId !== null && rule.clientId !== clientId) continue
      let levels = rule.levels
      if (levels === null) {
        if (rule.usesUsername && username === null) continue
        const unsafe = (rule.usesClientId && !safeValue(clientId)) || (rule.usesUsername && !safeValue(username ?? ''))
        if (unsafe && !rule.deny) continue
        levels = substitute(rule.topic, clientId, username ?? '').split('/')
      }
      if (rule.deny) deny.push(levels as string[])
      else {
        if (rule.read) allowRead.push(levels as string[])
        if (rule.write) allowWrite.push(levels as string[])
      }
    }
    return new AclView(identity.clientId, identity.username, allowRead, allowWrite, deny)
  }
}

/** One client's rules. */
export class AclView {
  private cache = new Map<string, number>()

  constructor(
    readonly clientId: string,
    readonly username: string | null,
    private readonly allowRead: readonly string[][],
    private readonly allowWrite: readonly string[][],
    private readonly deny: readonly string[][]
  ) {}

  /** May the client publish to this topic name? */
  canWrite(topic: string): boolean {
    const known = this.cache.get(topic) ?? 0
    if (known & WRITE_KNOWN) return (known & WRITE_ALLOWED) !== 0
    const levels = topic.split('/')
    const allowed = !anyMatches(this.deny, levels) && anyMatches(this.allowWrite, levels)
    this.remember(topic, known | WRITE_KNOWN | (allowed ? WRITE_ALLOWED : 0))
    return allowed
  }

  /** May a message on this topic name be delivered to the client? */
  canRead(topic: string): boolean {
    const known = this.cache.get(topic) ?? 0
    if (known & READ_KNOWN) return (known & READ_ALLOWED) !== 0
    const levels = topic.split('/')
    const allowed = !anyMatches(this.deny, levels) && anyMatches(this.allowRead, levels)
    this.remember(topic, known | READ_KNOWN | (allowed ? READ_ALLOWED : 0))
    return allowed
  }

  /** May the client subscribe to this topic filter (without any $share/group/ prefix)? */
  canSubscribe(filter: string): boolean {
    const levels = filter.split('/')
    for (const rule of this.deny) if (covers(rule, levels)) return false
    for (const rule of this.allowRead) if (covers(rule, levels)) return true
    return false
  }

  private remember(topic: string, bits: number): void {
    if (this.cache.size >= VIEW_CACHE_LIMIT && !this.cache.has(topic)) this.cache = new Map()
    this.cache.set(topic, bits)
  }
}

function compile(rule: AclRule): CompiledRule {
  const usesClientId = rule.topic.includes('%c')
  const usesUsername = rule.topic.includes('%u')
  return {
    user: rule.user ?? null,
    clientId: rule.clientId ?? null,
    anonymous: rule.anonymous === true,
    topic: rule.topic,
    usesClientId,
    usesUsername,
    read: rule.access === 'read' || rule.access === 'readwrite',
    write: rule.access === 'write' || rule.access === 'readwrite',
    deny: rule.access === 'deny',
    levels: usesClientId || usesUsername ? null : rule.topic.split('/')
  }
}

function safeValue(value: string): boolean {
  return value.length > 0 && !/[/+#]/.test(value)
}

function substitute(topic: string, clientId: string, username: string): string {
  return topic.replace(/%[cu]/g, (token) => (token === '%c' ? clientId : username))
}

function anyMatches(filters: readonly string[][], topic: readonly string[]): boolean {
  for (const filter of filters) if (matches(filter, topic)) return true
  return false
}

/** Standard MQTT matching of a topic name (in levels) against a filter (in levels) [MQTT-4.7]. */
export function matches(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$'.
  if (topic[0].startsWith('$') && (filter[0] === '#' || filter[0] === '+')) return false
  for (let i = 0; i < filter.length; i++) {
    const level = filter[i]
    if (level === '#') return true // matches the parent level too ('a/#' matches 'a')
    if (i >= topic.length) return false
    if (level !== '+' && level !== topic[i]) return false
  }
  return filter.length === topic.length
}

/**
 * Does `rule` match every topic that `filter` can match? Level by level: a rule '#' covers all that
 * is left; a rule '+' covers one level of anything but '#'; a literal covers only itself. A filter
 * that ends where the rule still has levels is covered only when the rule's rest is '#'.
 */
export function covers(rule: readonly string[], filter: readonly string[]): boolean {
  // A wildcard first level never reaches $ topics [MQTT-4.7.2-1] (and a filter starting with a
  // wildcard matches none, so only a filter with a literal $ first level needs the check).
  if (filter[0].startsWith('$') && (rule[0] === '#' || rule[0] === '+')) return false
  for (let i = 0; i < rule.length; i++) {
    const level = rule[i]
    if (level === '#') return true
    if (i >= filter.length) return false
    const wanted = filter[i]
    if (wanted === '#') return false
    if (level === '+') continue
    if (wanted === '+' || wanted !== level) return false
  }
  return rule.length === filter.length
}
