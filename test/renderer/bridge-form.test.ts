import { describe, expect, it } from 'vitest'
import { bridgeRequest, EMPTY_BRIDGE_FORM, explainRule, formOf } from '../../src/renderer/src/lib/bridge-form'
import type { BridgeStatus } from '../../src/shared/bridges'
import { validateBridgeConfig } from '../../src/shared/bridges'

describe('the Bridges view form', () => {
  it('turns the form into a request the shared validator accepts', () => {
    const result = bridgeRequest(
      { ...EMPTY_BRIDGE_FORM, name: 'cloud', url: 'mqtts://broker.example.com:8883', topics: 'a/# out 1\n\n  b/# in 0 here/ there/  ' },
      null
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.request.config.topics).toEqual(['a/# out 1', 'b/# in 0 here/ there/'])
    expect(result.request.keepPassword).toBe(false)
    expect(validateBridgeConfig(result.request.config).ok).toBe(true)
  })

  it('puts each problem by its field, rule problems with their line', () => {
    const result = bridgeRequest(
      { ...EMPTY_BRIDGE_FORM, name: 'no spaces please', url: 'mqtt://', topics: 'ok/#\nbad in 4', keepAlive: 'x' },
      null
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(Object.keys(result.errors).sort()).toEqual(['keepAlive', 'name', 'topics', 'url'])
    expect(result.errors.topics).toMatch(/^line 2: "bad in 4" QoS must be 0, 1 or 2/)
  })

  it('editing keeps the stored password when the box is left empty', () => {
    const status = {
      config: {
        ...validateBridgeConfigOrThrow({ name: 'b', url: 'mqtt://h', username: 'u', password: 'p', topics: ['#'] }),
        password: null
      },
      passwordSet: true
    } as unknown as BridgeStatus
    const form = formOf(status)
    expect(form.password).toBe('')
    const result = bridgeRequest(form, 'b')
    expect(result.ok && result.request.keepPassword).toBe(true)
    expect(result.ok && result.request.previousName).toBe('b')
  })

  it('explains what a rule does', () => {
    expect(explainRule('sensors/# out 1 "" site-a/')).toBe('here sensors/# → there site-a/sensors/# · QoS 1')
    expect(explainRule('cmd/# in 0 local/ remote/')).toBe('here local/cmd/# ← there remote/cmd/# · QoS 0')
    expect(explainRule('"" both 2 a/b c/d')).toBe('here a/b ↔ there c/d · QoS 2')
    expect(explainRule('a/# sideways')).toMatch(/direction must be/)
  })
})

function validateBridgeConfigOrThrow(raw: unknown) {
  const checked = validateBridgeConfig(raw)
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors))
  return checked.value
}
