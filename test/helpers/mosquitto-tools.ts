/**
 * The real Eclipse Mosquitto command-line clients and broker as child processes, for interop tests.
 * The binaries come from Debian's mosquitto / mosquitto-clients packages, installed by .ci/run; a
 * test that needs a missing one fails with a message saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterEach, expect } from 'vitest'

export const TOOLS = {
  pub: '/usr/bin/mosquitto_pub',
  sub: '/usr/bin/mosquitto_sub',
  rr: '/usr/bin/mosquitto_rr',
  broker: '/usr/sbin/mosquitto'
} as const

export function requireTool(path: string): void {
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: install Debian's mosquitto and mosquitto-clients packages (.ci/run does: apt-get install -y mosquitto mosquitto-clients)`
    )
  }
}

// ───────────────────────────── child processes ─────────────────────────────

export interface Tool {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  describe(): string
}

export const children = new Set<ChildProcess>()

export function spawnTool(path: string, args: string[]): Tool {
  const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', (error) => {
      err += String(error)
      resolve({ code: -1, signal: null })
    })
    // 'close', not 'exit': only then has all of stdout been read.
    child.once('close', (code, signal) => {
      children.delete(child)
      resolve({ code, signal })
    })
  })
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    describe: () => `${path} ${args.join(' ')}\nstdout: ${out}\nstderr: ${err}`
  }
}

/** Wait for a tool to exit (killing it after `timeoutMs`), and require exit code 0. */
export async function finished(tool: Tool, timeoutMs = 5000): Promise<string> {
  const timer = setTimeout(() => tool.child.kill('SIGKILL'), timeoutMs)
  const { code, signal } = await tool.exited
  clearTimeout(timer)
  expect(code, `exit status of: ${tool.describe()} (signal ${signal})`).toBe(0)
  return tool.stdout()
}

export async function run(path: string, args: string[], timeoutMs = 5000): Promise<string> {
  return finished(spawnTool(path, args), timeoutMs)
}

// Every test ends with its tools gone.
afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})
