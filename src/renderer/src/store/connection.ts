/**
 * Keeps the stores fed from the broker: a snapshot first, then every batch on top of it. Lost
 * links, gaps in the batch sequence and broker restarts are answered with a fresh snapshot.
 * The API has no "connected" signal of its own (the Electron one never drops; the WebSocket one
 * tells us when it can), so a quiet link is also probed with a cheap call now and then.
 */
import type { BrokerScopeApi, InspectorBatch } from '../../../shared/api'
import { getApi, TOKEN_REFUSED } from '../api'
import { batchNeedsResync } from '../lib/inspector-state'
import { useChartStore } from './chart-store'
import { useInspectorStore } from './inspector-store'
import { useTrafficStore } from './traffic-store'

const SNAPSHOT_TIMEOUT_MS = 12_000
const PROBE_TIMEOUT_MS = 6_000
/** Probe the link after this long without a batch. */
const IDLE_PROBE_MS = 15_000
/** A gap in batch seq triggers at most one snapshot per this interval. */
const RESYNC_MIN_INTERVAL_MS = 5_000
const RETRY_FIRST_MS = 500
const RETRY_MAX_MS = 8_000

interface StatusAware {
  onStatusChange?: (listener: (status: string) => void) => () => void
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error instanceof Error ? error : new Error(String(error)))
      }
    )
  })
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Start feeding the stores; returns the stop function (safe to call start again afterwards). */
export function startConnection(): () => void {
  let stopped = false
  /** The server refused this page's token: nothing to retry (see WebSocketTransport.checkAccess). */
  let denied = false
  let api: BrokerScopeApi | null = null
  /** A snapshot was applied since the link (re)opened: batches can be merged. */
  let synced = false
  let syncing = false
  let probing = false
  let lastResyncAt = 0
  let retryDelay = RETRY_FIRST_MS
  let retryTimer: ReturnType<typeof setTimeout> | null = null
  const cleanups: (() => void)[] = []

  const inspector = () => useInspectorStore.getState()
  const traffic = () => useTrafficStore.getState()

  function lost(error: string): void {
    synced = false
    inspector().setStatus('connecting', error)
  }

  function scheduleSync(delay: number): void {
    if (stopped || denied || retryTimer !== null) return
    retryTimer = setTimeout(() => {
      retryTimer = null
      void sync()
    }, delay)
  }

  function onBatch(batch: InspectorBatch): void {
    if (stopped) return
    // Until our snapshot arrives, batches describe an older state than the snapshot will.
    if (!synced) return
    const previousSeq = inspector().data?.seq ?? null
    inspector().applyBatch(batch, Date.now())
    traffic().applyBatch(batch.traffic, batch.trafficNotShown, batch.full === true, batch.trafficPaused)
    if (batch.chartPoints) useChartStore.getState().applyPoints(batch.chartPoints)
    if (inspector().status !== 'connected') inspector().setStatus('connected')
    if (batchNeedsResync(previousSeq, batch)) {
      const restarted = previousSeq !== null && batch.seq <= previousSeq
      const now = Date.now()
      if (restarted || now - lastResyncAt > RESYNC_MIN_INTERVAL_MS) {
        lastResyncAt = now
        void sync()
      }
    }
  }

  function connectApi(): BrokerScopeApi {
    if (api) return api
    const next = getApi()
    api = next
    inspector().setTransport(next.transport)
    cleanups.push(next.onBatch(onBatch))
    const statusAware = next as BrokerScopeApi & StatusAware
    if (typeof statusAware.onStatusChange === 'function') {
      cleanups.push(
        statusAware.onStatusChange((status) => {
          if (stopped) return
          if (status === 'denied') {
            denied = true
            if (retryTimer !== null) clearTimeout(retryTimer)
            retryTimer = null
            inspector().setStatus('denied', TOKEN_REFUSED)
          } else if (status === 'closed') {
            lost(inspector().data ? 'The connection to BrokerScope was lost; retrying…' : 'Could not reach BrokerScope; retrying…')
          } else if (status === 'open' && !synced) {
            if (retryTimer !== null) clearTimeout(retryTimer)
            retryTimer = null
            void sync()
          }
        })
      )
    }
    return next
  }

  async function sync(): Promise<void> {
    if (stopped || denied || syncing) return
    syncing = true
    try {
      const current = connectApi()
      const snapshot = await withTimeout(current.call('snapshot'), SNAPSHOT_TIMEOUT_MS, 'snapshot')
      if (stopped) return
      inspector().applySnapshot(snapshot, Date.now())
      traffic().applySnapshot(snapshot.traffic, snapshot.trafficPaused)
      synced = true
      retryDelay = RETRY_FIRST_MS
    } catch (error) {
      if (stopped || denied) return
      lost(message(error))
      scheduleSync(retryDelay)
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS)
    } finally {
      syncing = false
    }
  }

  async function probe(): Promise<void> {
    if (!api || probing || denied) return
    probing = true
    try {
      await withTimeout(api.call('listSavedMessages'), PROBE_TIMEOUT_MS, 'probe')
      if (!stopped) useInspectorStore.setState({ lastMessageAt: Date.now() })
    } catch (error) {
      if (stopped || denied) return
      lost(message(error))
      void sync()
    } finally {
      probing = false
    }
  }

  const tick = setInterval(() => {
    if (stopped) return
    const now = Date.now()
    inspector().sample(now)
    if (synced && now - inspector().lastMessageAt > IDLE_PROBE_MS) void probe()
  }, 1000)

  void sync()

  return () => {
    stopped = true
    clearInterval(tick)
    if (retryTimer !== null) clearTimeout(retryTimer)
    for (const cleanup of cleanups.splice(0)) cleanup()
  }
}
