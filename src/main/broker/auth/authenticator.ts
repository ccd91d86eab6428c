/**
 * Authentication and authorization state: the users and ACL rules of the auth file, compiled once
 * per (re)load, and the checks the handlers ask for.
 *
 * Hot path: with no ACL rules (no auth file, or one without `acl`), `aclActive` is false and the
 * PUBLISH / SUBSCRIBE / delivery code checks that one boolean and nothing else.
 *
 * A reload that fails (the file cannot be read, does not parse, or does not validate) keeps the
 * rules in force and reports why: in detail in the log, and as a plain summary in the result (which
 * goes to the UI and the API, and must not show what the file holds). When the very first load
 * fails there are no rules to keep: the broker then refuses every CONNECT that needs a password
 * (fail closed) until a reload succeeds.
 *
 * Loading is asynchronous (config/setting-file.ts: a FIFO or a device named as the auth file must
 * not block the event loop) and serialised: loads take effect in the order they were asked for.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { BrokerSettings } from '../../../shared/settings'
import type { Logger } from '../../logger'
import { ReasonCode } from '../codec/reason-codes'
import type { Transport } from '../connection/transport'
import { Acl, type AclIdentity, type AclView } from './acl'
import { loadAuthFile, type AuthData } from './auth-file'
import { hashPassword, parsePasswordHash, verifyPassword, type ParsedHash } from './password-hash'

export type AuthDecision =
  /** fromCertificate: the identity was established without a password (a certificate, an in-process client). */
  { ok: true; username: string | null; fromCertificate: boolean } | { ok: false; reasonCode: number; reason: string }

export type AuthReloadResult =
  | { ok: true; path: string | null; users: number; rules: number }
  /** `errors`: plain summaries for replies (the details are in the log). */
  | { ok: false; path: string | null; errors: string[] }

interface CompiledAuth {
  readonly path: string
  readonly users: ReadonlyMap<string, ParsedHash & { stored: string }>
  readonly acl: Acl
}

/** Successful logins remembered (as an HMAC of the password under a per-process key) per user. */
const PROCESS_KEY = randomBytes(32)

export class Authenticator {
  /** True when there are ACL rules to enforce. The only check on the hot path. */
  aclActive = false

  private compiled: CompiledAuth | null = null
  private acl: Acl | null = null
  /** Why the configured file is not in force (first load failed); null when it is, or none is set. */
  private failure: string | null = null
  private views = new WeakMap<object, AclView>()
  private verified = new Map<string, { stored: string; mac: Buffer }>()
  private dummyHash: string | null = null
  /** The load in progress (or the last one), so the next waits for it. */
  private loading: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly logger: Logger,
    /** The auth file was refused for maxSettingFileSize. */
    private readonly limitHit: (limit: 'maxSettingFileSize') => void = () => {}
  ) {}

  /** Does a CONNECT need looking at, with these settings? (Not on the hot path: once per CONNECT.) */
  needsConnectCheck(settings: BrokerSettings): boolean {
    return settings.authFile !== null || !settings.allowAnonymous || settings.useIdentityAsUsername
  }

  /** What is loaded, for the UI and logs. */
  status(): { path: string | null; users: number; rules: number; error: string | null } {
    return {
      path: this.compiled?.path ?? null,
      users: this.compiled?.users.size ?? 0,
      rules: this.acl?.size ?? 0,
      error: this.failure
    }
  }

  /**
   * Load `path` (null: no auth file, so no users and no rules), reading at most `maxBytes`. On
   * failure the rules in force stay (and with none loaded yet, password logins are refused until a
   * load succeeds). Loads run one after another, in the order they were asked for.
   */
  load(path: string | null, maxBytes: number): Promise<AuthReloadResult> {
    const next = this.loading.then(() => this.loadNow(path, maxBytes))
    this.loading = next.catch(() => {})
    return next
  }

  /** Resolves once every load asked for so far has finished. */
  settled(): Promise<void> {
    return this.loading.then(() => {})
  }

  private async loadNow(path: string | null, maxBytes: number): Promise<AuthReloadResult> {
    if (path === null) {
      this.install(null)
      return { ok: true, path: null, users: 0, rules: 0 }
    }
    const result = await loadAuthFile(path, { maxBytes })
    if (!result.ok) {
      if (result.tooLarge) this.limitHit('maxSettingFileSize')
      const summary = result.summary ?? 'not a valid auth file: see the broker log'
      if (this.compiled === null) this.failure = summary
      for (const error of result.errors) this.logger.error(`auth file: ${error}`)
      if (this.compiled !== null) this.logger.error(`auth file: keeping the rules loaded from ${this.compiled.path}`)
      return { ok: false, path, errors: [summary] }
    }
    this.install(compile(path, result.data))
    const users = result.data.users.length
    const rules = result.data.acl.length
    this.logger.info(`auth file ${path}: ${users} user${users === 1 ? '' : 's'}, ${rules} ACL rule${rules === 1 ? '' : 's'}`)
    return { ok: true, path, users, rules }
  }

  private install(compiled: CompiledAuth | null): void {
    this.compiled = compiled
    this.failure = null
    this.acl = compiled === null || compiled.acl.empty ? null : compiled.acl
    this.aclActive = this.acl !== null
    this.views = new WeakMap()
    this.verified = new Map()
  }

  /**
   * Decide on a CONNECT: who the client is, or why it is refused. Synchronous when no password
   * needs hashing (anonymous, a certificate identity, a password verified before); otherwise the
   * scrypt check runs off the event loop and a promise is returned.
   */
  authenticate(
    settings: BrokerSettings,
    transport: Transport,
    username: string | undefined,
    password: Buffer | string | undefined
  ): AuthDecision | Promise<AuthDecision> {
    // Fail closed: with an auth file set but never loaded, its ACL is not in force either.
    if (settings.authFile !== null && this.compiled === null) {
      return refused(ReasonCode.ServerUnavailable, 'the auth file could not be loaded')
    }
    // The broker's own in-process clients (bridges) need no password: the code that opened the
    // connection chose its user name, which the ACL then applies to. Verified, like a certificate.
    if (transport.kind === 'in-process') return { ok: true, username: username ?? null, fromCertificate: true }
    if (settings.useIdentityAsUsername && (transport.kind === 'tls' || transport.kind === 'wss')) {
      // The verified certificate is the credential; the CONNECT user name and password are not used.
      const identity = transport.certificateIdentity ?? null
      if (identity !== null) return { ok: true, username: identity, fromCertificate: true }
      return settings.allowAnonymous
        ? { ok: true, username: null, fromCertificate: true }
        : refused(ReasonCode.NotAuthorized, 'a client certificate is required (anonymous clients are not allowed)')
    }
    if (username === undefined) {
      return settings.allowAnonymous
        ? { ok: true, username: null, fromCertificate: false }
        : refused(ReasonCode.NotAuthorized, 'anonymous clients are not allowed')
    }
    // No auth file: user names are taken as given (allowAnonymous false then only asks for one).
    const compiled = this.compiled
    if (settings.authFile === null || compiled === null) return { ok: true, username, fromCertificate: false }
    const bad = refused(ReasonCode.BadUserNameOrPassword, 'bad user name or password')
    const user = compiled.users.get(username)
    if (user === undefined || password === undefined) {
      // Take about as long as a real check, so response times do not tell which user names exist.
      return verifyPassword(password ?? '', this.dummy()).then(() => bad)
    }
    const secret = typeof password === 'string' ? Buffer.from(password) : password
    const mac = createHmac('sha256', PROCESS_KEY).update(secret).digest()
    const known = this.verified.get(username)
    if (known !== undefined && known.stored === user.stored && timingSafeEqual(known.mac, mac)) {
      return { ok: true, username, fromCertificate: false }
    }
    return verifyPassword(secret, user).then((ok) => {
      if (!ok) return bad
      // Only remember it if the rules were not reloaded meanwhile.
      if (this.compiled === compiled) this.verified.set(username, { stored: user.stored, mac })
      return { ok: true, username, fromCertificate: false }
    })
  }

  private dummy(): string {
    if (this.dummyHash === null) this.dummyHash = hashPassword(randomBytes(16).toString('hex'))
    return this.dummyHash
  }

  // ───────────────────────── ACL (only called when aclActive) ─────────────────────────

  /** The client's view of the rules, rebuilt when its identity changed (a new CONNECT on the session). */
  private viewOf(identity: AclIdentity): AclView {
    let view = this.views.get(identity)
    if (view === undefined || view.username !== identity.username || view.clientId !== identity.clientId) {
      view = this.acl!.view(identity)
      this.views.set(identity, view)
    }
    return view
  }

  /** May this session (or any object with clientId and username) publish to `topic`? */
  canPublish(identity: AclIdentity, topic: string): boolean {
    return this.acl === null || this.viewOf(identity).canWrite(topic)
  }

  /** May it subscribe to `topicFilter` (without $share/group/)? */
  canSubscribe(identity: AclIdentity, topicFilter: string): boolean {
    return this.acl === null || this.viewOf(identity).canSubscribe(topicFilter)
  }

  /** May a message on `topic` be delivered to it? */
  canReceive(identity: AclIdentity, topic: string): boolean {
    return this.acl === null || this.viewOf(identity).canRead(topic)
  }

  /** A one-off check for a client that has no session yet (the will topic at CONNECT). */
  canPublishAs(identity: AclIdentity, topic: string): boolean {
    return this.acl === null || this.acl.view(identity).canWrite(topic)
  }
}

function refused(reasonCode: number, reason: string): AuthDecision {
  return { ok: false, reasonCode, reason }
}

function compile(path: string, data: AuthData): CompiledAuth {
  const users = new Map<string, ParsedHash & { stored: string }>()
  for (const user of data.users) {
    const parsed = parsePasswordHash(user.password)
    // validateAuthData already refused bad hashes; this only narrows the type.
    if (typeof parsed !== 'string') users.set(user.username, { ...parsed, stored: user.password })
  }
  return { path, users, acl: new Acl(data.acl) }
}
