/**
 * A real mosquitto broker for a test: its own config file and folder (mkdtemp), a free loopback
 * port, stopped (SIGTERM, so a persistent one saves its database) and restarted on the same port.
 * Not tracked by mosquitto-tools' per-test clean-up: the test stops it (or closeAll does). Plain
 * Node (no vitest import), so the Playwright journeys use it too.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as netConnect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export const MOSQUITTO = '/usr/sbin/mosquitto'
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd'

export interface Mosquitto {
  port: number
  dir: string
  url: string
  /** Everything it logged (log_type all when verbose). */
  log(): string
  stop(): Promise<void>
  /** Start again on the same port with the same config (and database, when persistent). */
  start(): Promise<void>
  running(): boolean
  /** Stop and remove its folder. */
  close(): Promise<void>
}

export interface MosquittoOptions {
  /** More config lines (the listener line is written here unless `listener` replaces it). */
  lines?: string[]
  /** Replaces the default `listener <port> 127.0.0.1` line (use {port}). */
  listener?: string
  persistence?: boolean
  /** Log every packet (to see e.g. "New bridge connected"). */
  verbose?: boolean
  port?: number
}

const open = new Set<Mosquitto>()

export function requireMosquitto(): void {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(
      `${MOSQUITTO} is missing: install Debian's mosquitto package (.ci/run does: apt-get install -y mosquitto mosquitto-clients)`
    )
  }
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  requireMosquitto()
  const dir = mkdtempSync(join(tmpdir(), 'brokerscope-mosquitto-'))
  const port = options.port ?? (await freePort())
  const config = join(dir, 'mosquitto.conf')
  const lines = [
    (options.listener ?? 'listener {port} 127.0.0.1').replace('{port}', String(port)),
    'allow_anonymous true',
    // Run as root in CI containers: keep the privileges so it can read and write its own folder.
    'user root',
    `persistence ${options.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    'log_dest stderr',
    options.verbose ? 'log_type all' : 'log_type error',
    ...(options.lines ?? [])
  ]
  writeFileSync(config, `${lines.join('\n')}\n`)
  let child: ChildProcess | null = null
  let output = ''

  const start = async (): Promise<void> => {
    const proc = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] })
    child = proc
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const deadline = Date.now() + 5000
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited at start:\n${output}`)
      if (await listening(port)) return
      if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port}:\n${output}`)
      await delay(25)
    }
  }

  const stop = async (): Promise<void> => {
    const proc = child
    child = null
    if (proc === null || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }

  await start()
  const mosquitto: Mosquitto = {
    port,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    log: () => output,
    stop,
    start,
    running: () => child !== null && child.exitCode === null,
    close: async () => {
      open.delete(mosquitto)
      await stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  open.add(mosquitto)
  return mosquitto
}

/** Stop every mosquitto this file started (an afterEach / afterAll). */
export async function closeAllMosquittos(): Promise<void> {
  await Promise.all([...open].map((m) => m.close()))
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = netConnect({ host: '127.0.0.1', port })
    probe.once('connect', () => {
      probe.destroy()
      resolve(true)
    })
    probe.once('error', () => resolve(false))
  })
}

/** A mosquitto password file with these users (mosquitto_passwd -b). */
export async function writeMosquittoPasswords(path: string, users: Record<string, string>): Promise<void> {
  writeFileSync(path, '')
  for (const [user, password] of Object.entries(users)) {
    await new Promise<void>((resolve, reject) => {
      const proc = spawn(MOSQUITTO_PASSWD, ['-b', path, user, password], { stdio: 'ignore' })
      proc.once('error', reject)
      proc.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mosquitto_passwd exited with ${code}`))))
    })
  }
}
