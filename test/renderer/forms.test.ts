import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../src/shared/settings'
import {
  buildPublishCommand,
  EMPTY_PUBLISH_FORM,
  formFromCommand,
  parseHistory,
  pushHistory,
  type HistoryEntry
} from '../../src/renderer/src/lib/publish-form'
import {
  checkDrafts,
  fromDraft,
  settingLabel,
  toDraft,
  FEATURE_KEYS,
  API_KEYS,
  LISTENER_KEYS,
  SETTING_KEYS
} from '../../src/renderer/src/lib/settings-form'

describe('buildPublishCommand', () => {
  it('builds a minimal command', () => {
    expect(buildPublishCommand({ ...EMPTY_PUBLISH_FORM, topic: 'a/b', payload: 'hi', qos: 1, retain: true })).toEqual({
      ok: true,
      command: { topic: 'a/b', payload: 'hi', qos: 1, retain: true }
    })
  })

  it('refuses wildcards and empty topics', () => {
    const r1 = buildPublishCommand({ ...EMPTY_PUBLISH_FORM, topic: 'a/+' })
    expect(r1.ok || r1.errors.topic).toMatch(/wildcards/)
    const r2 = buildPublishCommand(EMPTY_PUBLISH_FORM)
    expect(r2.ok || r2.errors.topic).toMatch(/required/)
  })

  it('checks base64 payloads and message expiry', () => {
    const r = buildPublishCommand({
      ...EMPTY_PUBLISH_FORM,
      topic: 't',
      payloadEncoding: 'base64',
      payload: 'not base64!',
      messageExpiry: '1.5'
    })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.errors.payload).toMatch(/base64/)
      expect(r.errors.messageExpiry).toMatch(/whole number/)
    }
  })

  it('sends v5 properties, user properties with repeated names as arrays', () => {
    const r = buildPublishCommand({
      ...EMPTY_PUBLISH_FORM,
      topic: 't',
      payloadEncoding: 'base64',
      payload: 'AAEC\n',
      contentType: 'application/json',
      payloadFormat: 'utf8',
      messageExpiry: '60',
      responseTopic: 'reply/to',
      correlationData: 'abc',
      userProperties: [
        { key: 'a', value: '1' },
        { key: 'a', value: '2' },
        { key: 'b', value: 'x' },
        { key: '', value: '' }
      ]
    })
    expect(r).toEqual({
      ok: true,
      command: {
        topic: 't',
        payload: 'AAEC',
        payloadEncoding: 'base64',
        qos: 0,
        retain: false,
        properties: {
          contentType: 'application/json',
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          responseTopic: 'reply/to',
          correlationData: Buffer.from('abc').toString('base64'),
          userProperties: { a: ['1', '2'], b: 'x' }
        }
      }
    })
    if (r.ok) expect(buildPublishCommand(formFromCommand(r.command))).toEqual(r)
  })

  it('wants a key for every user property', () => {
    const r = buildPublishCommand({ ...EMPTY_PUBLISH_FORM, topic: 't', userProperties: [{ key: '', value: 'v' }] })
    expect(r.ok || r.errors.userProperties).toMatch(/key/)
  })
})

describe('publish history', () => {
  const entry = (topic: string, time: number): HistoryEntry => ({ time, command: { topic, payload: '', qos: 0, retain: false } })

  it('keeps the newest first, moves repeats to the top and keeps at most 50', () => {
    let history: HistoryEntry[] = []
    for (let i = 0; i < 60; i++) history = pushHistory(history, entry(`t/${i}`, i))
    expect(history).toHaveLength(50)
    expect(history[0].command.topic).toBe('t/59')
    history = pushHistory(history, entry('t/30', 100))
    expect(history).toHaveLength(50)
    expect(history[0]).toEqual(entry('t/30', 100))
    expect(history.filter((h) => h.command.topic === 't/30')).toHaveLength(1)
  })

  it('reads stored history defensively', () => {
    expect(parseHistory(null)).toEqual([])
    expect(parseHistory('not json')).toEqual([])
    expect(parseHistory('{"a":1}')).toEqual([])
    expect(parseHistory(JSON.stringify([entry('ok', 1), { time: 'x' }, null]))).toEqual([entry('ok', 1)])
  })
})

describe('settings form', () => {
  it('covers every setting exactly once', () => {
    expect([...LISTENER_KEYS, ...API_KEYS, ...FEATURE_KEYS].sort()).toEqual([...SETTING_KEYS].sort())
  })

  it('labels settings for people', () => {
    expect(settingLabel('tcpPort')).toBe('TCP port')
    expect(settingLabel('retainAvailable')).toBe('Retain available')
    expect(settingLabel('maxQueuedMessages')).toBe('Max queued messages')
  })

  it('round-trips values through drafts', () => {
    for (const key of SETTING_KEYS) expect(fromDraft(key, toDraft(key, DEFAULT_SETTINGS[key]))).toEqual(DEFAULT_SETTINGS[key])
  })

  it('builds a patch of the changed, valid values only', () => {
    const r = checkDrafts(
      { tcpPort: '1884', wsPort: '8083', retainAvailable: false, maximumQos: '1', serverKeepAlive: null },
      DEFAULT_SETTINGS
    )
    expect(r.errors).toEqual({})
    expect(r.patch).toEqual({ tcpPort: 1884, retainAvailable: false, maximumQos: 1 })
  })

  it('reports invalid values with the shared validator, next to their field', () => {
    const r = checkDrafts({ tcpPort: '70000', wsPath: 'mqtt', receiveMaximum: '', maxConnections: '2.5' }, DEFAULT_SETTINGS)
    expect(r.errors.tcpPort).toBe('must be between 0 and 65535')
    expect(r.errors.wsPath).toBe('must start with /')
    expect(r.errors.receiveMaximum).toMatch(/whole number/)
    expect(r.errors.maxConnections).toMatch(/whole number/)
    expect(r.patch).toEqual({})
  })

  it('accepts none for nullable settings', () => {
    const r = checkDrafts({ sessionExpiryOverride: '3600' }, DEFAULT_SETTINGS)
    expect(r.patch).toEqual({ sessionExpiryOverride: 3600 })
    const back = checkDrafts({ sessionExpiryOverride: null }, { ...DEFAULT_SETTINGS, sessionExpiryOverride: 3600 })
    expect(back.patch).toEqual({ sessionExpiryOverride: null })
  })
})
