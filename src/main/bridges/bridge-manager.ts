/**
 * Every bridge of this broker: those of the config file and the command line (fixed for the run:
 * the file is where they change) and those made in the UI (kept in bridges.json, added, changed,
 * started, stopped and deleted from the Bridges view). Built by core.ts with the broker and started
 * after it; it uses the broker only through BrokerControl.
 */
import { readFileSync } from 'node:fs'
import { hostname as osHostname } from 'node:os'
import {
  type BridgeConfig,
  type BridgeStatus,
  BRIDGE_NAME_PATTERN,
  type InspectRequest,
  inspectionPrefixOf,
  inspectPrefix,
  inspectTopics,
  type SaveBridgeRequest,
  suggestBridgeName,
  validateBridgeConfig
} from '../../shared/bridges'
import type { BrokerControl } from '../broker/control'
import type { Logger } from '../logger'
import type { BridgeStore } from '../storage/bridge-file-store'
import { MAX_STORED_BRIDGES } from '../storage/bridge-file-store'
import { Bridge, type BridgeEnvironment } from './bridge'
import type { BridgeControl } from './bridge-control'

export interface BridgeManagerOptions {
  broker: BrokerControl
  logger: Logger
  /** Where the UI's bridges are kept. */
  store: BridgeStore
  /** From the config file and the command line (already validated). */
  explicit?: readonly BridgeConfig[]
  hostname?: string
  /** Reconnection backoff; mosquitto 2.1's by default (5 s base, 30 s cap). Tests shorten it. */
  backoff?: BridgeEnvironment['backoff']
  connectTimeoutMs?: number
}

export class BridgeError extends Error {
  override readonly name = 'BridgeError'
}

export class BridgeManager implements BridgeControl {
  private readonly bridges = new Map<string, Bridge>()
  private readonly byClientId = new Map<string, Bridge>()
  private readonly listeners = new Set<() => void>()
  private readonly env: BridgeEnvironment
  private unsubscribe: (() => void) | null = null
  private started = false
  /** Why bridges.json was not used as it is, if it was not. */
  readonly storeProblem: string | null

  constructor(private readonly options: BridgeManagerOptions) {
    this.env = {
      broker: options.broker,
      logger: options.logger,
      hostname: options.hostname ?? osHostname(),
      backoff: options.backoff ?? { baseMs: 5_000, capMs: 30_000 },
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      readFile: (path) => readFileSync(path),
      changed: () => this.notify()
    }
    for (const config of options.explicit ?? []) {
      if (this.bridges.has(config.name)) throw new BridgeError(`two bridges are named "${config.name}"`)
      this.add(new Bridge(config, 'config', this.env))
    }
    const loaded = options.store.load()
    this.storeProblem = loaded.problem
    if (loaded.problem) options.logger.warn(`bridges: ${loaded.problem}`)
    for (const config of loaded.bridges) {
      if (this.bridges.has(config.name)) {
        options.logger.warn(
          `bridges: "${config.name}" from the UI is ignored: the config file or command line defines a bridge of that name`
        )
        continue
      }
      this.add(new Bridge(config, 'ui', this.env))
    }
  }

  /** Start every enabled bridge (after the broker has started). */
  start(): void {
    if (this.started) return
    this.started = true
    // What our broker drops for a bridge's local session is counted on that bridge too.
    this.unsubscribe = this.options.broker.events.on('message.dropped', (event) =>
      this.byClientId.get(event.clientId)?.countDrop(event.reason)
    )
    for (const bridge of this.bridges.values()) if (bridge.config.enabled) bridge.start()
  }

  /** Stop them all (the broker stops next); their local sessions and queues stay. */
  async stop(): Promise<void> {
    this.started = false
    this.unsubscribe?.()
    this.unsubscribe = null
    await Promise.all([...this.bridges.values()].map((bridge) => bridge.stop()))
  }

  list(): BridgeStatus[] {
    const sessions = new Map<string, { queued: number; inflight: number }>()
    if (this.bridges.size > 0) {
      for (const client of this.options.broker.listClients()) {
        if (this.byClientId.has(client.clientId)) sessions.set(client.clientId, { queued: client.queued, inflight: client.inflight })
      }
    }
    return [...this.bridges.values()].map((bridge) => bridge.status(sessions.get(bridge.localClientId)))
  }

  get size(): number {
    return this.bridges.size
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async save(request: SaveBridgeRequest): Promise<BridgeStatus> {
    const previousName = request.previousName ?? request.config.name
    const previous = this.bridges.get(previousName)
    if (previous?.source === 'config')
      throw new BridgeError(`"${previousName}" is defined in the config file or on the command line: change it there`)
    const raw: Record<string, unknown> = { ...request.config }
    if (request.keepPassword && previous !== undefined && (raw.password === undefined || raw.password === null || raw.password === '')) {
      raw.password = previous.config.password
    }
    const checked = validateBridgeConfig(raw)
    if (!checked.ok) throw new BridgeError(checked.errors.map((e) => `${e.path.join('.') || 'bridge'}: ${e.message}`).join('; '))
    const config = checked.value
    const clash = this.bridges.get(config.name)
    if (clash !== undefined && clash !== previous) throw new BridgeError(`a bridge named "${config.name}" exists already`)
    if (previous === undefined && this.uiConfigs().length >= MAX_STORED_BRIDGES)
      throw new BridgeError(`at most ${MAX_STORED_BRIDGES} bridges`)
    if (previous !== undefined) {
      // A renamed bridge is a new one: the old local session (and what it queued) goes.
      if (previous.name !== config.name) await this.discard(previous)
      else {
        await previous.stop()
        this.drop(previous)
      }
    }
    const bridge = new Bridge(config, 'ui', this.env)
    this.add(bridge)
    this.persist()
    if (config.enabled && this.started) bridge.start()
    this.notify()
    this.options.logger.info(`bridge ${config.name}: ${previous === undefined ? 'added' : 'changed'} from the UI`)
    return this.statusOf(bridge)
  }

  async remove(name: string): Promise<boolean> {
    const bridge = this.bridges.get(name)
    if (bridge === undefined) return false
    if (bridge.source === 'config') throw new BridgeError(`"${name}" is defined in the config file or on the command line: remove it there`)
    await this.discard(bridge)
    // An inspection's copies of the remote's retained messages go with it.
    if (bridge.config.kind === 'inspect') this.clearRetainedUnder(inspectionPrefixOf(bridge.config))
    this.persist()
    this.notify()
    this.options.logger.info(`bridge ${name}: deleted from the UI`)
    return true
  }

  async setRunning(name: string, running: boolean): Promise<BridgeStatus> {
    const bridge = this.bridges.get(name)
    if (bridge === undefined) throw new BridgeError(`no bridge named "${name}"`)
    if (running) {
      if (this.started) bridge.start()
    } else await bridge.stop()
    if (bridge.source === 'ui' && bridge.config.enabled !== running) {
      bridge.config.enabled = running
      this.persist()
    }
    this.notify()
    return this.statusOf(bridge)
  }

  async inspect(request: InspectRequest): Promise<BridgeStatus> {
    const taken = new Set(this.bridges.keys())
    const name = request.name?.trim() || suggestBridgeName(request.url, taken)
    if (!BRIDGE_NAME_PATTERN.test(name)) throw new BridgeError(`name: must be 1-64 letters, digits, ".", "_" or "-"`)
    const prefix = request.prefix ?? inspectPrefix(name)
    return this.save({
      config: {
        name,
        kind: 'inspect',
        url: request.url,
        username: request.username ?? null,
        password: request.password ?? null,
        protocolVersion: request.protocolVersion ?? 5,
        caFile: request.caFile ?? null,
        insecure: request.insecure ?? false,
        // Read-only and leaving nothing behind on the remote.
        cleanStart: true,
        sessionExpiry: 0,
        topics: inspectTopics(prefix)
      }
    })
  }

  private statusOf(bridge: Bridge): BridgeStatus {
    return this.list().find((s) => s.config.name === bridge.name) ?? bridge.status(undefined)
  }

  private add(bridge: Bridge): void {
    this.bridges.set(bridge.name, bridge)
    this.byClientId.set(bridge.localClientId, bridge)
  }

  private drop(bridge: Bridge): void {
    this.bridges.delete(bridge.name)
    this.byClientId.delete(bridge.localClientId)
  }

  private async discard(bridge: Bridge): Promise<void> {
    this.drop(bridge)
    await bridge.remove()
  }

  private uiConfigs(): BridgeConfig[] {
    return [...this.bridges.values()].filter((b) => b.source === 'ui').map((b) => b.config)
  }

  private persist(): void {
    try {
      this.options.store.save(this.uiConfigs())
    } catch (error) {
      // The bridge runs anyway; the UI hears why it will not be there after a restart.
      const text = error instanceof Error ? error.message : String(error)
      this.options.logger.error(`bridges: could not save: ${text}`)
      throw new BridgeError(`the change is in force but could not be saved: ${text}`)
    }
  }

  private clearRetainedUnder(prefix: string): void {
    if (prefix === '') return
    for (const info of this.options.broker.listRetained()) {
      if (info.topic.startsWith(prefix)) this.options.broker.deleteRetained(info.topic)
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener()
      } catch {
        /* a listener's failure is its own */
      }
    }
  }
}
