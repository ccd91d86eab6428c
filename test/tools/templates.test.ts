import { describe, expect, it } from 'vitest'
import { checkGenerator } from '../../src/main/tools/simulate/generator-spec'
import { previewMessages } from '../../src/main/tools/simulate/generator-run'
import { compileTemplate, TemplateError, type RenderContext } from '../../src/main/tools/templates/template'

/** A context with a scripted random sequence, so every result is known. */
function context(overrides: Partial<RenderContext> = {}, randoms: number[] = [0.5]): RenderContext {
  let i = 0
  return {
    device: 3,
    devices: 10,
    counter: 7,
    now: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    random: () => randoms[i++ % randoms.length],
    uuid: () => '00000000-0000-4000-8000-000000000000',
    slots: [],
    ...overrides
  }
}

const render = (source: string, ctx: RenderContext = context()): string => compileTemplate(source).render(ctx)

function errorOf(source: string): TemplateError {
  try {
    compileTemplate(source)
  } catch (error) {
    if (error instanceof TemplateError) return error
    throw error
  }
  throw new Error(`"${source}" compiled`)
}

describe('template functions', () => {
  it('text without placeholders is constant and unchanged, braces in JSON included', () => {
    const t = compileTemplate('{"a":{"b":[1,2]}} }} plain')
    expect(t.constant).toBe(true)
    expect(t.render(context())).toBe('{"a":{"b":[1,2]}} }} plain')
    expect(render('\\{{device}}')).toBe('{{device}}')
  })

  it('counter: the message number, or from a start', () => {
    expect(render('n={{counter}}')).toBe('n=7')
    expect(render('{{ counter 100 }}')).toBe('106')
    expect(render('{{counter 0}}', context({ counter: 1 }))).toBe('0')
  })

  it('timestamp: ms, ISO and seconds', () => {
    expect(render('{{timestamp}}')).toBe(String(Date.UTC(2026, 0, 2, 3, 4, 5, 678)))
    expect(render('{{timestamp "iso"}}')).toBe('2026-01-02T03:04:05.678Z')
    expect(render("{{timestamp 's'}}")).toBe(String(Math.floor(Date.UTC(2026, 0, 2, 3, 4, 5, 678) / 1000)))
  })

  it('random: within the bounds, decimals from the bounds', () => {
    expect(render('{{random 20 25}}', context({}, [0]))).toBe('20')
    expect(render('{{random 20 25}}', context({}, [0.9999]))).toBe('25')
    expect(render('{{random 20.0 25.0}}', context({}, [0.5]))).toBe('22.5')
    expect(render('{{random 0.25 1}}', context({}, [0]))).toBe('0.25')
    expect(render('{{random -1.5 1.5}}', context({}, [0.5]))).toBe('0.0')
    const t = compileTemplate('{{random 20.0 25.0}}')
    for (let k = 0; k < 500; k++) {
      const text = t.render(context({}, [Math.random()]))
      expect(text).toMatch(/^\d\d\.\d$/)
      expect(Number(text)).toBeGreaterThanOrEqual(20)
      expect(Number(text)).toBeLessThanOrEqual(25)
    }
  })

  it('randomInt: whole numbers, both bounds included', () => {
    expect(render('{{randomInt 0 100}}', context({}, [0]))).toBe('0')
    expect(render('{{randomInt 0 100}}', context({}, [0.99999]))).toBe('100')
    expect(render('{{randomInt -5 -5}}')).toBe('-5')
  })

  it('pick: one of the arguments', () => {
    expect(render('{{pick "on" "off"}}', context({}, [0.1]))).toBe('on')
    expect(render('{{pick "on" "off"}}', context({}, [0.6]))).toBe('off')
    expect(render('{{pick \'say "hi"\' 2.50}}', context({}, [0]))).toBe('say "hi"')
    expect(render('{{pick "a\\"b"}}')).toBe('a"b')
    expect(render('{{pick "x" 2.50}}', context({}, [0.9]))).toBe('2.50')
  })

  it('uuid and device', () => {
    expect(render('{{uuid}}')).toBe('00000000-0000-4000-8000-000000000000')
    expect(render('sensors/{{device}}/t')).toBe('sensors/3/t')
    expect(compileTemplate('sensors/{{device}}').uses.has('device')).toBe(true)
  })

  it('sine: a smooth wave between the bounds, shifted per device', () => {
    const t = compileTemplate('{{sine 10.0 20.0 60}}')
    const at = (ms: number, device = 1): number => Number(t.render(context({ now: ms, device, devices: 4 })))
    expect(at(0)).toBe(15)
    expect(at(15_000)).toBe(20)
    expect(at(45_000)).toBe(10)
    // Neighbouring samples differ little: a smooth curve, not noise.
    for (let ms = 0; ms < 60_000; ms += 1000) expect(Math.abs(at(ms + 1000) - at(ms))).toBeLessThanOrEqual(1.1)
    // Device 2 of 4 is a quarter period ahead.
    expect(at(0, 2)).toBe(20)
  })

  it('walk: starts in the middle, moves at most a step, stays within the bounds', () => {
    const t = compileTemplate('{{walk 0 10 0.5}}')
    const slots: number[] = []
    let previous = Number(t.render(context({ slots })))
    expect(previous).toBe(5)
    for (let k = 0; k < 2000; k++) {
      const value = Number(t.render(context({ slots }, [Math.random()])))
      expect(Math.abs(value - previous)).toBeLessThanOrEqual(0.5 + 1e-9)
      expect(value).toBeGreaterThanOrEqual(0)
      expect(value).toBeLessThanOrEqual(10)
      previous = value
    }
    // Two walks in one template have their own state.
    const two = compileTemplate('{{walk 0 10 1}} {{walk 100 200 1}}')
    expect(two.slots).toBe(2)
    expect(two.render(context({ slots: [] }))).toBe('5 150')
  })

  it('renders inside JSON', () => {
    const t = compileTemplate('{"device": {{device}}, "t": {{random 20.0 25.0}}, "state": "{{pick "on" "off"}}", "n": {{counter}}}')
    const value = JSON.parse(t.render(context({}, [0])))
    expect(value).toEqual({ device: 3, t: 20, state: 'on', n: 7 })
  })
})

describe('template errors name the position', () => {
  it.each([
    ['{{rnd 1 2}}', 1, 3, /unknown function "rnd" \(did you mean "random"\?\)/],
    ['ok\n  {{random 1}}', 2, 5, /random: takes 2 arguments, got 1/],
    ['{{random 5 1}}', 1, 3, /lower bound 5 is above the upper bound 1/],
    ['{{random "a" 1}}', 1, 3, /lower bound must be a number/],
    ['{{randomInt 0.5 2}}', 1, 3, /whole numbers/],
    ['{{pick}}', 1, 3, /at least 1 argument/],
    ['{{pick on off}}', 1, 8, /text arguments need quotes/],
    ['{{pick "on}}', 1, 8, /not closed with a matching quote/],
    ['abc {{device', 1, 5, /not closed with "}}"/],
    ['{{}}', 1, 3, /expected a function name/],
    ['{{device 1}}', 1, 3, /device: takes 0 arguments/],
    ['{{timestamp "week"}}', 1, 3, /"ms", "iso" or "s"/],
    ['{{sine 0 1 0}}', 1, 3, /period must be more than 0/],
    ['{{walk 0 1 -1}}', 1, 3, /step must be more than 0/],
    ['{{counter 1.5}}', 1, 3, /whole number/],
    ['{{uuid"x"}}', 1, 7, /expected a space/]
  ])('%j → %i:%i', (source, line, column, message) => {
    const error = errorOf(source)
    expect(error.line).toBe(line)
    expect(error.column).toBe(column)
    expect(error.message).toMatch(message)
    expect(error.message.startsWith(`${line}:${column}: `)).toBe(true)
  })
})

describe('generator checks', () => {
  const good = {
    name: 'sensors',
    topic: 'sensors/{{device}}/temp',
    payload: '{"t": {{random 20.0 25.0}}}',
    qos: 1,
    retain: false,
    devices: 10,
    pace: { kind: 'interval', ms: 1000 },
    stop: { kind: 'forever' }
  }

  it('accepts a good generator and previews its next three messages', () => {
    const checked = checkGenerator(good, 100)
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems))
    const preview = previewMessages(checked.value, 3, () => 0)
    expect(preview).toEqual([
      { device: 1, topic: 'sensors/1/temp', payload: '{"t": 20.0}' },
      { device: 2, topic: 'sensors/2/temp', payload: '{"t": 20.0}' },
      { device: 3, topic: 'sensors/3/temp', payload: '{"t": 20.0}' }
    ])
  })

  it('refuses a bad template with its field and position, and bad fields with their names', () => {
    const bad = checkGenerator({ ...good, payload: '{"t": {{random 20}}}', topic: 'a/+/{{device}}', devices: 0, qos: 3 }, 100)
    expect(bad.ok).toBe(false)
    if (bad.ok) return
    const byField = Object.fromEntries(bad.problems.map((p) => [p.field, p]))
    expect(byField.payload).toMatchObject({ line: 1, column: 9 })
    expect(byField.payload.message).toMatch(/^payload 1:9: random: takes 2 arguments/)
    expect(byField.topic.message).toMatch(/wildcard|\+/)
    expect(byField.devices.message).toMatch(/from 1 to 100 \(the simulateMaxDevices setting\)/)
    expect(byField.qos.message).toMatch(/qos must be 0, 1 or 2/)
    const tooMany = checkGenerator({ ...good, devices: 101 }, 100)
    expect(tooMany.ok).toBe(false)
    expect(checkGenerator({ ...good, pace: { kind: 'rate', perSecond: 0 } }, 100).ok).toBe(false)
    expect(checkGenerator({ ...good, stop: { kind: 'count', count: 0 } }, 100).ok).toBe(false)
    expect(checkGenerator({ ...good, extra: 1 }, 100).ok).toBe(false)
    expect(checkGenerator({ ...good, protocolVersion: 4, properties: { contentType: 'x' } }, 100).ok).toBe(false)
  })
})
