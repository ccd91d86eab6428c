import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { freePort, waitFor } from '../helpers/broker-harness'

// The real `brokerscope` process, as a user starts it (npm test builds out/ first).
const CLI = join(process.cwd(), 'out/main/cli.js')

describe('brokerscope process', () => {
  let child: ChildProcess | null = null
  let dataDir = ''
  afterEach(() => {
    child?.kill('SIGKILL')
    child = null
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('serves MQTT and the inspector UI, refuses a UI socket without the token, and stops cleanly on SIGINT', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build`).toBe(true)
    const [tcpPort, uiPort] = [await freePort(), await freePort()]
    const token = 'test-token-0123456789'
    dataDir = mkdtempSync(join(tmpdir(), 'brokerscope-cli-'))
    const proc = spawn(
      process.execPath,
      [CLI, '--tcp-port', String(tcpPort), '--ws-port', '0', '--ui-port', String(uiPort), '--ui-token', token],
      {
        env: { ...process.env, BROKERSCOPE_DATA_DIR: dataDir }
      }
    )
    child = proc
    let output = ''
    proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await waitFor(() => output.includes('inspector UI on'), 'the UI line', 10_000)
    expect(output).toContain(`listening on mqtt://127.0.0.1:${tcpPort} (tcp)`)
    expect(output).toContain(`inspector UI on http://127.0.0.1:${uiPort}/?token=${token}`)

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${tcpPort}`, { reconnectPeriod: 0 })
    await client.endAsync()

    const page = await fetch(`http://127.0.0.1:${uiPort}/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('<div id="root">')

    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/api`, { origin: `http://127.0.0.1:${uiPort}` })
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
      ws.on('open', () => resolve(101))
      ws.on('error', () => {})
    })
    expect(refused).toBe(403)

    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
    proc.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(output).toContain('shutting down')
  })
})
