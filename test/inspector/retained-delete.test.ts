/**
 * Issue 15 bug 7: Retained "Clear all" ignored the filter and wiped $SYS. The inspector deletes
 * the topics the page shows (deleteRetainedTopics) and never a $SYS one; clearRetained keeps $SYS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness'

let target: TestBroker
let inspector: Inspector

beforeEach(async () => {
  // $SYS every second, so there are retained $SYS topics to protect.
  target = await startTestBroker({ sysInterval: 1 })
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore() })
  for (const topic of ['test/a', 'test/b', 'ui/test/props', 'other']) {
    await inspector.handleCommand('publish', [{ topic, payload: topic, qos: 0, retain: true }])
  }
  await waitFor(() => target.broker.listRetained().some((r) => r.topic.startsWith('$SYS/')), 'retained $SYS topics', 5_000)
})

afterEach(async () => {
  inspector.dispose()
  await target.close()
})

const retainedTopics = (): string[] =>
  target.broker
    .listRetained()
    .map((r) => r.topic)
    .filter((t) => !t.startsWith('$SYS'))
    .sort()
const sysCount = (): number => target.broker.listRetained().filter((r) => r.topic.startsWith('$SYS')).length

describe('deleting retained messages from the UI', () => {
  it('deleteRetainedTopics deletes exactly the topics named, never $SYS ones, and counts what it deleted', async () => {
    const sys = sysCount()
    const deleted = await inspector.handleCommand('deleteRetainedTopics', [['test/a', 'test/b', 'no/such', '$SYS/broker/uptime']])
    expect(deleted).toBe(2)
    expect(retainedTopics()).toEqual(['other', 'ui/test/props'])
    expect(sysCount()).toBe(sys)
  })

  it('clearRetained deletes every retained message but the $SYS ones', async () => {
    const sys = sysCount()
    expect(sys).toBeGreaterThan(0)
    expect(await inspector.handleCommand('clearRetained', [])).toBe(4)
    expect(retainedTopics()).toEqual([])
    expect(sysCount()).toBe(sys)
  })

  it('refuses a list that is not strings', async () => {
    await expect(inspector.handleCommand('deleteRetainedTopics', [['a', 3]])).rejects.toThrow(/string/)
    await expect(inspector.handleCommand('deleteRetainedTopics', ['a'])).rejects.toThrow(/array/)
  })
})
