/**
 * PMQ's configuration distribution, on top of BrokerControl (no code in the broker's packet path):
 * the answer for each $CONFIG_MODULE/<rule> topic is a retained message the broker publishes, so a
 * subscriber gets it right after its SUBACK the way every retained message is delivered, with the
 * ACL checked on subscribe and on delivery like any topic, and the topics show in the Retained
 * view. Retained messages also carry reloads to the clients already subscribed: a publish reaches
 * them live.
 *
 *   - At load: one retained message per rule in the file (families and clients).
 *   - A client subscribing to a rule the file does not name ($CONFIG_MODULE/FAMILY/NEW_ID) gets its
 *     GLOBAL and GENERAL parts: the 'subscribed' event triggers a publish after the SUBACK.
 *   - The file is watched (its folder, so editors that replace the file are seen); a good new
 *     version republishes the topics whose JSON changed and deletes the rules that went away; a
 *     broken one keeps the previous configuration and logs why, with line and column.
 *   - The topics are the file's: one deleted from the Retained view, or overwritten by a client
 *     allowed to publish there (deny it in the ACL), is put back.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs'
import { dirname } from 'node:path'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
import {
  CONFIG_TOPIC_PREFIX,
  type ClientConfiguration,
  configurationPayload,
  parseClientConfiguration,
  ruleOfTopic,
  rulesOf
} from './client-configuration'

/** Changes to the file closer together than this are read once. */
const RELOAD_DEBOUNCE_MS = 100
/** QoS of the configuration messages: a subscriber asking for 1 or 2 gets it acknowledged. */
const CONFIG_QOS = 1

export interface ConfigDistributionStatus {
  path: string | null
  /** Topics answered now. */
  topics: number
  /** Why the file in force is not the one on disk (its errors), or null. */
  error: string | null
}

export class ConfigDistribution {
  private path: string | null = null
  private configuration: ClientConfiguration | null = null
  /** Topic → the JSON retained there by us. */
  private readonly published = new Map<string, string>()
  private watcher: FSWatcher | null = null
  private reloadTimer: NodeJS.Timeout | null = null
  private error: string | null = null
  /** The text last read (good or bad), so unrelated changes in the folder cost one read and nothing more. */
  private lastText: string | null = null
  private readonly unsubscribe: Array<() => void> = []
  /** Only while a file is in use, so a broker without one builds no events for it. */
  private readonly fileListeners: Array<() => void> = []

  constructor(
    private readonly broker: BrokerControl,
    private readonly logger: Logger
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.broker.events.on('settings.changed', (event) => {
        if (event.changed.includes('clientConfigurationFile')) this.use(event.settings.clientConfigurationFile)
      })
    )
    this.use(this.broker.getSettings().clientConfigurationFile)
  }

  private listen(): void {
    this.fileListeners.push(
      this.broker.events.on('subscribed', (event) => {
        for (const subscription of event.subscriptions) {
          if (subscription.shareGroup === null) this.answerLater(subscription.topicFilter)
        }
      }),
      this.broker.events.on('retained.changed', (event) => {
        if (event.topic.startsWith(CONFIG_TOPIC_PREFIX)) this.guardLater(event.topic)
      })
    )
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off()
    this.use(null)
  }

  status(): ConfigDistributionStatus {
    return { path: this.path, topics: this.published.size, error: this.error }
  }

  /** Switch to a file (or none): the previous file's topics are withdrawn. */
  private use(path: string | null): void {
    if (path === this.path) return
    this.unwatch()
    for (const off of this.fileListeners.splice(0)) off()
    this.withdraw()
    this.configuration = null
    this.error = null
    this.lastText = null
    this.path = path
    if (path === null) return
    this.listen()
    this.reload()
    try {
      // Any change in the folder: editors save by renaming a temporary file over it, and
      // Kubernetes swaps a ..data symlink beside it; a read that finds the same text does nothing.
      this.watcher = watch(dirname(path), () => this.scheduleReload())
      this.watcher.on('error', (err) => this.logger.warn(`client configuration: cannot watch ${path}: ${err.message}`))
    } catch (err) {
      this.logger.warn(
        `client configuration: cannot watch ${path} (${err instanceof Error ? err.message : String(err)}); restart to reload it`
      )
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer)
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null
      this.reload()
    }, RELOAD_DEBOUNCE_MS)
    this.reloadTimer.unref()
  }

  /** Read the file; a good one replaces the configuration in force, a bad one is reported and ignored. */
  reload(): boolean {
    const path = this.path
    if (path === null) return false
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      return this.refuse([`${path}: ${code === 'ENOENT' ? 'file not found' : err instanceof Error ? err.message : String(err)}`])
    }
    if (text === this.lastText) return this.error === null
    this.lastText = text
    const parsed = parseClientConfiguration(text, path)
    if (!parsed.ok) return this.refuse(parsed.errors)
    const first = this.configuration === null
    this.configuration = parsed.configuration
    this.error = null
    const changed = this.publishAll()
    const { families, clients } = parsed.configuration
    this.logger.info(
      `client configuration ${first ? 'loaded' : 'reloaded'} from ${path}: ${families.size} families, ${clients.size} clients, ${changed} topics (re)published`
    )
    return true
  }

  private refuse(errors: string[]): boolean {
    this.error = errors.join('; ')
    const keeping = this.configuration !== null ? '; the previous configuration stays in force' : ''
    for (const error of errors) this.logger.error(`client configuration: ${error}`)
    this.logger.error(`client configuration: ${this.path} not used${keeping}`)
    return false
  }

  /** Bring the retained topics in line with the configuration; returns how many were (re)published. */
  private publishAll(): number {
    const configuration = this.configuration
    if (configuration === null) return 0
    const wanted = new Map<string, string>()
    for (const rule of rulesOf(configuration)) wanted.set(CONFIG_TOPIC_PREFIX + rule, configurationPayload(configuration, rule))
    // Rules the file does not name but a client subscribed to keep their (new) answer.
    for (const subscription of this.broker.listSubscriptions()) {
      const rule = subscription.shareGroup === null ? ruleOfTopic(subscription.topicFilter) : null
      if (rule !== null) wanted.set(subscription.topicFilter, configurationPayload(configuration, rule))
    }
    let changed = 0
    for (const [topic, payload] of wanted) {
      if (this.published.get(topic) === payload) continue
      this.publish(topic, payload)
      changed++
    }
    for (const topic of [...this.published.keys()]) {
      if (wanted.has(topic)) continue
      this.published.delete(topic)
      this.broker.deleteRetained(topic)
    }
    // $CONFIG_MODULE/ is the file's: answers a durable store kept from an earlier run (or another
    // file) that this file no longer gives go too.
    for (const retained of this.broker.listRetained()) {
      if (retained.topic.startsWith(CONFIG_TOPIC_PREFIX) && !wanted.has(retained.topic)) this.broker.deleteRetained(retained.topic)
    }
    return changed
  }

  private publish(topic: string, payload: string): void {
    this.published.set(topic, payload)
    this.broker.publish({ topic, payload, qos: CONFIG_QOS, retain: true })
  }

  /** A subscription to a rule not answered yet: answer after the SUBACK (this event fires before it is sent). */
  private answerLater(topicFilter: string): void {
    const rule = ruleOfTopic(topicFilter)
    if (rule === null || this.configuration === null || this.published.has(topicFilter)) return
    setImmediate(() => {
      if (this.configuration === null || this.published.has(topicFilter)) return
      this.publish(topicFilter, configurationPayload(this.configuration, rule))
    })
  }

  /** One of our topics was deleted or overwritten by someone else: put ours back. */
  private guardLater(topic: string): void {
    const ours = this.published.get(topic)
    if (ours === undefined) return
    setImmediate(() => {
      if (this.published.get(topic) !== ours) return
      const current = this.broker.getRetained(topic)
      if (current !== null && Buffer.from(current.payload).toString('utf8') === ours) return
      this.logger.warn(`client configuration: ${topic} was ${current === null ? 'deleted' : 'overwritten'}; restored from ${this.path}`)
      this.publish(topic, ours)
    })
  }

  private withdraw(): void {
    for (const topic of this.published.keys()) this.broker.deleteRetained(topic)
    this.published.clear()
  }

  private unwatch(): void {
    this.watcher?.close()
    this.watcher = null
    if (this.reloadTimer) clearTimeout(this.reloadTimer)
    this.reloadTimer = null
  }
}
