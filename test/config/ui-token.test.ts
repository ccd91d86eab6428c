/**
 * Issue 15 bug 4: the UI token had two rules (the CLI: 16–128 of [A-Za-z0-9_-]; the server: 1–256
 * of [A-Za-z0-9._~-]) and --help stated neither. One rule now, used by both and printed by --help.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCliArgs, usage } from '../../src/main/config/cli-args'
import { startUiServer } from '../../src/main/headless/ui-server'
import { Inspector } from '../../src/main/inspector/inspector'
import { MemorySavedMessageStore } from '../../src/main/inspector/saved-messages'
import { startTestBroker, type TestBroker } from '../helpers/broker-harness'

let dir: string
let target: TestBroker
let inspector: Inspector

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brokerscope-token-'))
  await mkdir(join(dir, 'renderer'))
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html>')
  target = await startTestBroker()
  inspector = new Inspector(target.broker, { savedMessages: new MemorySavedMessageStore() })
})

afterAll(async () => {
  inspector.dispose()
  await target.close()
  await rm(dir, { recursive: true, force: true })
})

/** Does the UI server start with this token? */
async function serverAccepts(token: string): Promise<boolean> {
  try {
    const server = await startUiServer(inspector, { port: 0, rendererDir: join(dir, 'renderer'), token })
    await server.close()
    return true
  } catch {
    return false
  }
}

const cliAccepts = (token: string): boolean => parseCliArgs(['--ui-token', token]).errors.length === 0

describe('--ui-token: one rule', () => {
  const cases = [
    'test123', // too short for both
    'a'.repeat(15),
    'a'.repeat(16),
    'abc.def~ghi-jkl_mno', // the URL-safe punctuation
    'x'.repeat(256),
    'x'.repeat(257),
    'has space in it ok?',
    'percent%20encoded-x',
    'ümlaut-token-123456'
  ]

  it('the command line and the server accept and refuse the same tokens', async () => {
    for (const token of cases) {
      expect({ token, cli: cliAccepts(token) }).toEqual({ token, cli: await serverAccepts(token) })
    }
    expect(cliAccepts('abc.def~ghi-jkl_mno')).toBe(true)
    expect(cliAccepts('test123')).toBe(false)
  })

  it('a refused token is told the rule, and --help states the same rule', () => {
    const [error] = parseCliArgs(['--ui-token', 'test123']).errors
    expect(error).toMatch(/^--ui-token: must be 16 to 256 characters: letters, digits, - _ \. ~/)
    const help = usage()
    const line = help.split('\n').findIndex((l) => l.includes('--ui-token'))
    expect(line).toBeGreaterThanOrEqual(0)
    expect(
      help
        .split('\n')
        .slice(line, line + 3)
        .join(' ')
    ).toMatch(/16 to 256 characters: letters, digits, - _ \. ~/)
  })
})
