/**
 * The built `brokerscope` process (out/main/cli.js, built by npm test) on free ports, with a fixed
 * UI token and its own data folder, for tests that must see the process itself survive (or not)
 * and talk to its inspector over the WebSocket API like a page would.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { WsResponse, WsServerMessage } from '../../src/shared/api'
import { freePort, waitFor } from './broker-harness'

export const CLI = join(process.cwd(), 'out/main/cli.js')
export const CLI_TOKEN = 'cli-test-token-0123456789'

export interface CliBroker {
  tcpPort: number
  wsPort: number
  uiPort: number
  readonly process: ChildProcess
  output(): string
  /** The process has not exited. */
  alive(): boolean
  /** Resolves with the exit code (or signal name) once it has exited. */
  exited: Promise<number | string | null>
  stop(): Promise<void>
}

/** Start the CLI; resolves when its listeners and inspector UI are up. */
export async function startCli(
  extraArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { token?: boolean } = {}
): Promise<CliBroker> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npx electron-vite build`)
  const [tcpPort, wsPort, uiPort] = [await freePort(), await freePort(), await freePort()]
  const dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-cli-'))
  const args = [
    CLI,
    '--tcp-port',
    String(tcpPort),
    '--ws-port',
    String(wsPort),
    '--ui-port',
    String(uiPort),
    ...(options.token === false ? [] : ['--ui-token', CLI_TOKEN]),
    '--sys-interval',
    '0',
    ...extraArgs
  ]
  const base = { ...process.env }
  delete base.BROKERSCOPE_UI_TOKEN
  const child = spawn(process.execPath, args, { env: { ...base, BROKERSCOPE_DATA_DIR: dataDir, ...env } })
  let output = ''
  let exitedWith: number | string | null | undefined
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitedWith = code ?? signal
      resolve(exitedWith)
    })
  )
  const stop = async (): Promise<void> => {
    if (exitedWith === undefined) {
      child.kill('SIGKILL')
      await exited
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    await waitFor(() => output.includes('inspector UI on') || exitedWith !== undefined, 'the CLI to start', 15_000)
  } catch (error) {
    await stop()
    throw error
  }
  if (exitedWith !== undefined) throw new Error(`the CLI exited during start-up:\n${output}`)
  return {
    tcpPort,
    wsPort,
    uiPort,
    process: child,
    output: () => output,
    alive: () => exitedWith === undefined,
    exited,
    stop
  }
}

/** The inspector's WebSocket API, as the page uses it: requests by id. */
export class InspectorSocket {
  private nextId = 1
  private readonly waiting = new Map<number, (response: WsResponse) => void>()

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as WsServerMessage
      if ('event' in message) return
      if (typeof message.id === 'number') this.waiting.get(message.id)?.(message)
    })
  }

  static open(uiPort: number, token = CLI_TOKEN): Promise<InspectorSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/api?token=${token}`, { origin: `http://127.0.0.1:${uiPort}` })
      ws.once('open', () => resolve(new InspectorSocket(ws)))
      ws.once('unexpected-response', (_req, res) => reject(new Error(`inspector socket refused: ${res.statusCode}`)))
      ws.once('error', reject)
    })
  }

  /** Resolves with the reply, or rejects if none comes (the broker died, say) within the timeout. */
  call(command: string, args: unknown[] = [], timeoutMs = 5000): Promise<WsResponse> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id)
        reject(new Error(`no reply to ${command} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting.set(id, (response) => {
        clearTimeout(timer)
        this.waiting.delete(id)
        resolve(response)
      })
      this.ws.send(JSON.stringify({ id, command, args }))
    })
  }

  close(): void {
    this.ws.terminate()
  }
}
