/**
 * Settings safety (issue 15): each setting says when a change takes effect. The claims are checked
 * against what the broker does with the setting: the limits a CONNACK announces are held per
 * connection (new connections only), the listener fields restart the listeners.
 */
import { describe, expect, it } from 'vitest'
import { serverLimitsOf } from '../../src/main/broker/connection/server-limits'
import { SOCKET_OPTION_KEYS } from '../../src/main/broker/listeners/socket-options'
import { TLS_CONFIG_KEYS } from '../../src/main/broker/listeners/tls-listeners'
import { APPLIES_TEXT, DEFAULT_SETTINGS, SETTING_APPLIES, SETTING_FIELDS } from '../../src/shared/settings'

describe('SETTING_APPLIES', () => {
  it('covers every setting, each with a text', () => {
    expect(Object.keys(SETTING_APPLIES).sort()).toEqual(Object.keys(SETTING_FIELDS).sort())
    for (const applies of Object.values(SETTING_APPLIES)) expect(APPLIES_TEXT[applies]).toBeTruthy()
  })

  it('every limit a CONNACK announces applies to new connections only', () => {
    for (const key of Object.keys(serverLimitsOf({ ...DEFAULT_SETTINGS }))) {
      expect({ key, applies: SETTING_APPLIES[key as keyof typeof SETTING_APPLIES] }).toEqual({ key, applies: 'new-connections' })
    }
  })

  it('every listener field restarts the listeners, and nothing else does', () => {
    const listenerKeys = ['host', 'tcpPort', 'wsPort', 'wsPath', 'unixSocket', ...TLS_CONFIG_KEYS, ...SOCKET_OPTION_KEYS].sort()
    const restarting = Object.entries(SETTING_APPLIES)
      .filter(([, applies]) => applies === 'listener-restart')
      .map(([key]) => key)
      .sort()
    expect(restarting).toEqual(listenerKeys)
  })

  it('persistence takes effect at the next start', () => {
    expect(SETTING_APPLIES.persistence).toBe('next-start')
  })
})
