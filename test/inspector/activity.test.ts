import { describe, expect, it } from 'vitest'
import { ActivityTracker } from '../../src/main/inspector/activity'
import { TopicTree } from '../../src/main/inspector/topic-tree'

describe('ActivityTracker', () => {
  it('gives msgs/s and bytes/s per topic and publishing client over 10 s and 60 s windows', () => {
    const tree = new TopicTree()
    const activity = new ActivityTracker(0)
    let now = 0
    // 12 seconds: "hot" gets 50 messages of 10 bytes a second from c1; "cold" 1 a second for the first 2 s from the broker.
    for (let second = 0; second < 12; second++) {
      for (let i = 0; i < 50; i++) {
        tree.recordMessage('hot', Buffer.alloc(10), now)
        activity.recordClient('c1', 10)
      }
      if (second < 2) {
        tree.recordMessage('cold', Buffer.alloc(100), now)
        activity.recordClient(null, 100)
      }
      now += 1000
      activity.sample(now, tree.takeTouched())
    }
    const report = activity.report(now)
    expect(report.topics[0]).toEqual({ key: 'hot', messages10s: 50, bytes10s: 500, messages60s: 10, bytes60s: 100 })
    expect(report.topics[1]).toEqual({ key: 'cold', messages10s: 0, bytes10s: 0, messages60s: 2 / 60, bytes60s: 200 / 60 })
    expect(report.clients.map((c) => c.key)).toEqual(['c1', ''])
    // A minute of silence empties both windows.
    for (let second = 0; second < 60; second++) {
      now += 1000
      activity.sample(now, tree.takeTouched())
    }
    expect(activity.report(now)).toMatchObject({ topics: [], clients: [] })
  })
})
