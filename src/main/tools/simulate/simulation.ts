/**
 * The generators running now (and the last state of those that ended), by name. Shared by the app
 * (tool-commands.ts) and `brokerscope simulate`. The total of simulated devices is bounded by
 * the simulateMaxDevices setting; a start over it is refused with the numbers.
 */
import type { IClientOptions } from 'mqtt'
import type { GeneratorStatus } from '../../../shared/tools-api'
import { checkGenerator, problemsText } from './generator-spec'
import { GeneratorRun } from './generator-run'

export interface SimulationOptions {
  /** Where the devices connect (read at each start: the app's own listener may move). */
  url: () => string
  maxDevices: () => number
  maxInflight: () => number
  connectOptions?: () => IClientOptions | undefined
  onEnd?: (status: GeneratorStatus) => void
}

export class SimulationError extends Error {
  override readonly name = 'SimulationError'
}

export class Simulation {
  private readonly runs = new Map<string, GeneratorRun>()

  constructor(private readonly options: SimulationOptions) {}

  /** Check and start a generator. Throws SimulationError (with every problem) when it cannot start. */
  start(raw: unknown): GeneratorStatus {
    const maxDevices = this.options.maxDevices()
    const checked = checkGenerator(raw, maxDevices)
    if (!checked.ok) throw new SimulationError(problemsText(checked.problems))
    const { spec } = checked.value
    const existing = this.runs.get(spec.name)
    if (existing?.active) throw new SimulationError(`generator "${spec.name}" is already running; stop it first`)
    const inUse = this.activeDevices()
    if (inUse + spec.devices > maxDevices) {
      throw new SimulationError(
        `${spec.devices} more devices would make ${inUse + spec.devices} simulated devices; the simulateMaxDevices setting allows ${maxDevices}`
      )
    }
    const run = new GeneratorRun(checked.value, {
      url: this.options.url(),
      maxInflight: this.options.maxInflight(),
      connectOptions: this.options.connectOptions?.(),
      onEnd: this.options.onEnd
    })
    this.runs.set(spec.name, run)
    run.start()
    return run.status()
  }

  pause(name: string): GeneratorStatus {
    const run = this.get(name)
    run.pause()
    return run.status()
  }

  resume(name: string): GeneratorStatus {
    const run = this.get(name)
    run.resume()
    return run.status()
  }

  async stop(name: string): Promise<GeneratorStatus> {
    const run = this.get(name)
    await run.stop()
    return run.status()
  }

  statuses(): GeneratorStatus[] {
    return [...this.runs.values()].map((run) => run.status())
  }

  get running(): number {
    return [...this.runs.values()].filter((run) => run.active).length
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.stop()))
  }

  private activeDevices(): number {
    let total = 0
    for (const run of this.runs.values()) if (run.active) total += run.deviceCount
    return total
  }

  private get(name: string): GeneratorRun {
    const run = this.runs.get(name)
    if (run === undefined) throw new SimulationError(`no generator named "${name}" has been started`)
    return run
  }
}
