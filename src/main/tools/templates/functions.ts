/**
 * The functions a message template may call. Each one checks its arguments once, when the
 * template is compiled, and returns a renderer; rendering never throws.
 *
 * Numbers keep the decimals their bounds were written with: `{{random 20.0 25.0}}` gives one
 * decimal (22.7), `{{random 20 25}}` whole numbers, `{{random 0.25 1}}` two.
 */

/** What one message is rendered with. */
export interface RenderContext {
  /** 1…devices. */
  device: number
  devices: number
  /** This device's message number, from 1. */
  counter: number
  /** Wall clock, ms since the epoch. */
  now: number
  /** Uniform in [0, 1). */
  random(): number
  uuid(): string
  /** Per-device state of stateful functions (the random walk), indexed by slot; NaN = not started. */
  slots: number[]
}

export type TemplateArgument = { kind: 'number'; value: number; decimals: number; at: number } | { kind: 'text'; value: string; at: number }

export interface TemplateFunction {
  usage: string
  /** What it gives, for the help text. */
  description: string
  /** State slots it needs per device. */
  slots?: number
  /** Check the arguments (throw an Error saying what is wrong) and return the renderer. */
  compile(args: readonly TemplateArgument[], slotBase: number): (context: RenderContext) => string
}

const MAX_DECIMALS = 10

function numberArg(args: readonly TemplateArgument[], index: number, what: string): { value: number; decimals: number } {
  const arg = args[index]
  if (arg === undefined) throw new Error(`missing ${what}`)
  if (arg.kind !== 'number') throw new Error(`${what} must be a number, got the text "${arg.value}"`)
  if (!Number.isFinite(arg.value)) throw new Error(`${what} is not a finite number`)
  return { value: arg.value, decimals: Math.min(arg.decimals, MAX_DECIMALS) }
}

function arity(args: readonly TemplateArgument[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`
    throw new Error(`takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}`)
  }
}

function bounds(args: readonly TemplateArgument[]): { min: number; max: number; decimals: number } {
  const min = numberArg(args, 0, 'the lower bound')
  const max = numberArg(args, 1, 'the upper bound')
  if (min.value > max.value) throw new Error(`the lower bound ${min.value} is above the upper bound ${max.value}`)
  return { min: min.value, max: max.value, decimals: Math.max(min.decimals, max.decimals) }
}

function fixed(value: number, decimals: number): string {
  const text = value.toFixed(decimals)
  // -0.0 reads oddly in a sensor reading.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text
}

export const FUNCTIONS: Readonly<Record<string, TemplateFunction>> = Object.freeze({
  counter: {
    usage: '{{counter}} or {{counter START}}',
    description: "this device's message number: 1, 2, 3… (or START, START+1…)",
    compile(args) {
      arity(args, 0, 1)
      const start = args.length === 1 ? numberArg(args, 0, 'the start') : { value: 1, decimals: 0 }
      if (!Number.isInteger(start.value)) throw new Error('the start must be a whole number')
      const offset = start.value - 1
      return (context) => String(context.counter + offset)
    }
  },
  timestamp: {
    usage: '{{timestamp}}, {{timestamp "iso"}} or {{timestamp "s"}}',
    description: 'the time: ms since 1970 (default), an ISO 8601 string, or whole seconds',
    compile(args) {
      arity(args, 0, 1)
      const format = args.length === 0 ? 'ms' : args[0].kind === 'text' ? args[0].value : ''
      switch (format) {
        case 'ms':
          return (context) => String(context.now)
        case 'iso':
          return (context) => new Date(context.now).toISOString()
        case 's':
          return (context) => String(Math.floor(context.now / 1000))
        default:
          throw new Error('the format must be "ms", "iso" or "s"')
      }
    }
  },
  random: {
    usage: '{{random MIN MAX}}',
    description: 'a number from MIN to MAX, with as many decimals as the bounds are written with',
    compile(args) {
      arity(args, 2, 2)
      const { min, max, decimals } = bounds(args)
      const scale = 10 ** decimals
      // Whole steps of the last decimal, both bounds included.
      const lo = Math.round(min * scale)
      const steps = Math.round(max * scale) - lo + 1
      return (context) => fixed((lo + Math.floor(context.random() * steps)) / scale, decimals)
    }
  },
  randomInt: {
    usage: '{{randomInt MIN MAX}}',
    description: 'a whole number from MIN to MAX, both included',
    compile(args) {
      arity(args, 2, 2)
      const { min, max } = bounds(args)
      if (!Number.isInteger(min) || !Number.isInteger(max)) throw new Error('the bounds must be whole numbers')
      const steps = max - min + 1
      return (context) => String(min + Math.floor(context.random() * steps))
    }
  },
  pick: {
    usage: '{{pick "on" "off" …}}',
    description: 'one of the arguments, at random',
    compile(args) {
      arity(args, 1, Infinity)
      const choices = args.map((arg) => (arg.kind === 'text' ? arg.value : fixed(arg.value, arg.decimals)))
      return (context) => choices[Math.floor(context.random() * choices.length)]
    }
  },
  uuid: {
    usage: '{{uuid}}',
    description: 'a random UUID (version 4)',
    compile(args) {
      arity(args, 0, 0)
      return (context) => context.uuid()
    }
  },
  device: {
    usage: '{{device}}',
    description: 'the device number, 1…N',
    compile(args) {
      arity(args, 0, 0)
      return (context) => String(context.device)
    }
  },
  sine: {
    usage: '{{sine MIN MAX PERIOD_SECONDS}}',
    description: 'a smooth wave between MIN and MAX over PERIOD seconds; each device is shifted along it',
    compile(args) {
      arity(args, 3, 3)
      const { min, max, decimals } = bounds(args)
      const period = numberArg(args, 2, 'the period')
      if (period.value <= 0) throw new Error('the period must be more than 0 seconds')
      const periodMs = period.value * 1000
      return (context) => {
        const phase = ((context.device - 1) / Math.max(1, context.devices)) * 2 * Math.PI
        const wave = (1 + Math.sin((2 * Math.PI * (context.now % periodMs)) / periodMs + phase)) / 2
        return fixed(min + (max - min) * wave, decimals)
      }
    }
  },
  walk: {
    usage: '{{walk MIN MAX STEP}}',
    description: 'a random walk: starts in the middle, moves at most STEP each message, stays within MIN…MAX',
    slots: 1,
    compile(args, slotBase) {
      arity(args, 3, 3)
      const { min, max, decimals: boundDecimals } = bounds(args)
      const step = numberArg(args, 2, 'the step')
      if (step.value <= 0) throw new Error('the step must be more than 0')
      const decimals = Math.max(boundDecimals, step.decimals)
      return (context) => {
        const previous = context.slots[slotBase]
        let value: number
        if (previous === undefined || Number.isNaN(previous)) value = (min + max) / 2
        else {
          value = previous + (context.random() * 2 - 1) * step.value
          // Reflect at the bounds so the walk does not stick to them.
          if (value > max) value = Math.max(min, 2 * max - value)
          if (value < min) value = Math.min(max, 2 * min - value)
        }
        context.slots[slotBase] = value
        return fixed(value, decimals)
      }
    }
  }
})
