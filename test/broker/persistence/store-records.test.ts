import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open } from 'lmdb'
import { afterEach, describe, expect, it } from 'vitest'
import { createMessage, type Message } from '../../../src/main/broker/message'
import { LmdbPersistence } from '../../../src/main/broker/persistence/lmdb-persistence'
import type { DeliveryRecord, MessageRecord } from '../../../src/main/broker/persistence/records'
import type { Delivery, InflightEntry, Session } from '../../../src/main/broker/session/session'
import { silentLogger } from '../../../src/main/logger'

/**
 * What the store writes for a delivery (issue 10's group commit, made cheaper): a message queued to
 * one session lives inside that session's record, one shared by several gets a record of its own,
 * and the writes of one delivery within a batch become one write (or none).
 */
describe('the store’s delivery records', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  function store(): { path: string; persistence: LmdbPersistence } {
    const dir = mkdtempSync(join(tmpdir(), 'bs-records-'))
    dirs.push(dir)
    const path = join(dir, 'store')
    const persistence = LmdbPersistence.open(path, silentLogger)
    persistence.load()
    return { path, persistence }
  }

  /** Only what the store reads of a session on these paths. */
  const session = (clientId: string): Session => ({ clientId }) as unknown as Session

  const message = (topic: string, bytes: number): Message =>
    createMessage({ topic, payload: Buffer.alloc(bytes, 0x61), qos: 1, retain: false, origin: 'pub', now: Date.now() })

  const delivery = (m: Message, seq: number): Delivery => ({ message: m, qos: 1, retain: false, subscriptionIds: null, seq })

  const inflight = (d: Delivery, packetId: number): InflightEntry => ({ ...d, packetId, state: 'awaiting-puback' })

  /** The tables as LMDB holds them after a close (read by a second, independent handle). */
  async function tables(path: string): Promise<{ messages: Map<number, MessageRecord>; deliveries: Map<string, DeliveryRecord> }> {
    const root = open({ path, maxDbs: 8, compression: false })
    const messages = new Map<number, MessageRecord>()
    for (const { key, value } of root.openDB('messages', { keyEncoding: 'uint32' }).getRange({})) messages.set(key as number, value)
    const deliveries = new Map<string, DeliveryRecord>()
    for (const { key, value } of root.openDB('deliveries', {}).getRange({})) deliveries.set((key as [string, number]).join('#'), value)
    await root.close()
    return { messages, deliveries }
  }

  it('a message queued to one session is written inside its delivery record, with no message record', async () => {
    const { path, persistence } = store()
    persistence.added(session('a'), delivery(message('t/one', 10), 1))
    await persistence.commit()
    await persistence.close()
    const { messages, deliveries } = await tables(path)
    expect(messages.size).toBe(0)
    const record = deliveries.get('a#1')
    expect(record?.m).toBe(0)
    expect(record?.mi?.t).toBe('t/one')
    expect(Buffer.from(record!.mi!.p).toString()).toBe('a'.repeat(10))
  })

  it('a message queued to two sessions gets one record of its own that both delivery records name', async () => {
    const { path, persistence } = store()
    const shared = message('t/two', 10)
    persistence.added(session('a'), delivery(shared, 1))
    persistence.added(session('b'), delivery(shared, 1))
    await persistence.commit()
    await persistence.close()
    const { messages, deliveries } = await tables(path)
    expect(messages.size).toBe(1)
    const [id] = [...messages.keys()]
    expect(deliveries.get('a#1')).toMatchObject({ m: id })
    expect(deliveries.get('b#1')).toMatchObject({ m: id })
    expect(deliveries.get('a#1')?.mi).toBeUndefined()
  })

  it('queued then sent in flight in one batch: one record, with its packet id', async () => {
    const { path, persistence } = store()
    const d = delivery(message('t/q', 4), 7)
    persistence.added(session('a'), d)
    persistence.updated(session('a'), inflight(d, 42))
    await persistence.commit()
    await persistence.close()
    const { deliveries } = await tables(path)
    expect([...deliveries.keys()]).toEqual(['a#7'])
    expect(deliveries.get('a#7')).toMatchObject({ pid: 42, st: 1, m: 0 })
  })

  it('added and acknowledged before the commit: nothing is written; acknowledged after it: the record goes', async () => {
    const { path, persistence } = store()
    const gone = delivery(message('t/gone', 4), 1)
    persistence.added(session('a'), gone)
    persistence.removed(session('a'), gone)
    expect(persistence.status({ retained: 0, sessions: 0 })).toMatchObject({ messages: 0, deliveries: 0 })
    const kept = delivery(message('t/kept', 4), 2)
    persistence.added(session('a'), kept)
    await persistence.commit()
    expect((await tablesWhileOpen(path)).deliveries.has('a#2')).toBe(true)
    persistence.removed(session('a'), kept)
    await persistence.commit()
    await persistence.close()
    const { messages, deliveries } = await tables(path)
    expect(deliveries.size).toBe(0)
    expect(messages.size).toBe(0)
  })

  it('a large message inside one session’s record that a second session takes gets a record of its own (no second copy)', async () => {
    const { path, persistence } = store()
    const big = message('t/big', 64 * 1024)
    persistence.added(session('a'), delivery(big, 1))
    await persistence.commit()
    persistence.added(session('b'), delivery(big, 1))
    await persistence.commit()
    await persistence.close()
    const { messages, deliveries } = await tables(path)
    expect(deliveries.get('a#1')?.mi?.t).toBe('t/big')
    expect(messages.size).toBe(1)
    expect(deliveries.get('b#1')?.mi).toBeUndefined()
    expect(messages.get(deliveries.get('b#1')!.m)?.t).toBe('t/big')
  })

  it('reads back inline and shared deliveries alike, and a format 1 store (no inline messages) as before', async () => {
    const { path, persistence } = store()
    persistence.added(session('a'), delivery(message('t/inline', 3), 1))
    await persistence.commit()
    await persistence.close()
    // A format 1 delivery beside it: the message in its own table.
    const root = open({ path, maxDbs: 8, compression: false })
    await root
      .openDB('messages', { keyEncoding: 'uint32' })
      .put(900, { t: 't/old', p: Buffer.from('old'), q: 1, r: false, e: 0, o: null, c: 1 })
    await root.openDB('deliveries', {}).put(['a', 2], { m: 900, q: 1, r: false, s: null })
    await root
      .openDB('sessions', {})
      .put('a', { ow: null, u: null, pv: 4, ex: 0xffffffff, cs: false, ka: 60, on: false, dc: 1, w: null, s: [] })
    await root.openDB('meta', {}).put('state', { format: 1, cleanShutdown: true })
    await root.close()
    const reopened = LmdbPersistence.open(path, silentLogger)
    const loaded = reopened.load()
    expect(loaded.skipped).toBe(0)
    expect(loaded.deliveries.map((d) => [d.seq, d.record.mi?.t ?? loaded.messages.get(d.record.m)?.t])).toEqual([
      [1, 't/inline'],
      [2, 't/old']
    ])
    await reopened.close()
  })
})

/** Read the tables while the store stays open (LMDB allows several readers beside the writer). */
async function tablesWhileOpen(path: string): Promise<{ deliveries: Map<string, DeliveryRecord> }> {
  const root = open({ path, maxDbs: 8, compression: false })
  const deliveries = new Map<string, DeliveryRecord>()
  for (const { key, value } of root.openDB('deliveries', {}).getRange({})) deliveries.set((key as [string, number]).join('#'), value)
  await root.close()
  return { deliveries }
}
