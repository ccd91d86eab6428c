import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { waitFor } from './wait'

/** The built headless broker (npm test builds out/ first). */
export const CLI = join(process.cwd(), 'out/main/cli.js')

export interface CliBroker {
  readonly process: ChildProcess
  readonly port: number
  output(): string
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  readonly exited: Promise<number | string>
  kill(signal?: NodeJS.Signals): Promise<number | string>
}

/**
 * Start `node out/main/cli.js` on a data folder, on `port`, with no UI and no $SYS, and wait until
 * it listens. `fileSizeLimitKiB` runs it under `ulimit -f` (SIGXFSZ ignored): writes past that
 * size fail as they would on a full disk.
 */
export async function startCliBroker(
  dataDir: string,
  port: number,
  extraArgs: string[] = [],
  options: { fileSizeLimitKiB?: number; timeoutMs?: number } = {}
): Promise<CliBroker> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`)
  const args = [
    CLI,
    '--data-dir',
    dataDir,
    '--tcp-port',
    String(port),
    '--ws-port',
    '0',
    '--ui-port',
    '0',
    '--sys-interval',
    '0',
    ...extraArgs
  ]
  const child =
    options.fileSizeLimitKiB === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -f ${options.fileSizeLimitKiB}; trap '' XFSZ; exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe']
        })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  let gone = false
  void exited.then(() => (gone = true))
  await waitFor(
    () => out.includes('running; press Ctrl-C') || gone,
    `the broker to listen on ${port}:\n${out}`,
    options.timeoutMs ?? 10_000
  )
  if (gone) throw new Error(`the broker exited at start:\n${out}`)
  return {
    process: child,
    port,
    output: () => out,
    exited,
    kill: (signal = 'SIGKILL') => {
      if (!gone) child.kill(signal)
      return exited
    }
  }
}
