import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ApiServer, startApiServer } from '../../src/main/api/server'
import { hashPassword } from '../../src/main/broker/auth/password-hash'
import { silentLogger } from '../../src/main/logger'
import type { BrokerSettings } from '../../src/shared/settings'
import { startTestBroker, type TestBroker } from '../helpers/broker-harness'

export const API_KEY = 'test-api-key-0123456789abcdef'
export const ALICE = { username: 'alice', password: 'wonderland' }

export interface ApiHarness {
  tb: TestBroker
  api: ApiServer
  authFile: string
  folder: string
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>
  close(): Promise<void>
}

export interface RequestOptions {
  body?: unknown
  /** Sent as is (for invalid JSON). */
  rawBody?: string
  /** 'key' (default): the bearer key; 'basic': alice; 'none'; or an Authorization value. */
  auth?: 'key' | 'basic' | 'none' | { authorization: string }
  headers?: Record<string, string>
}

export interface ApiResponse {
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON (undefined when empty or not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the answers' fields freely and compare them whole
  json: any
}

/** A broker (with an auth file holding alice) and its management API on a free port. */
export async function startApiHarness(settings: Partial<BrokerSettings> = {}): Promise<ApiHarness> {
  const folder = mkdtempSync(join(tmpdir(), 'bs-api-'))
  const authFile = join(folder, 'auth.json5')
  writeFileSync(authFile, JSON.stringify({ users: [{ username: ALICE.username, password: hashPassword(ALICE.password) }], acl: [] }))
  const tb = await startTestBroker({ apiKey: API_KEY, authFile, ...settings })
  const api = await startApiServer(tb.broker, { host: '127.0.0.1', port: 0, logger: silentLogger, version: 'test' })
  return {
    tb,
    api,
    authFile,
    folder,
    request: (method, path, options = {}) => send(api.url, method, path, options),
    close: async () => {
      await api.close()
      await tb.close()
      rmSync(folder, { recursive: true, force: true })
    }
  }
}

export async function send(base: string, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers }
  const auth = options.auth ?? 'key'
  if (auth === 'key') headers.authorization = `Bearer ${API_KEY}`
  else if (auth === 'basic') headers.authorization = `Basic ${Buffer.from(`${ALICE.username}:${ALICE.password}`).toString('base64')}`
  else if (auth !== 'none') headers.authorization = auth.authorization
  let body: string | undefined
  if (options.rawBody !== undefined) body = options.rawBody
  else if (options.body !== undefined) body = JSON.stringify(options.body)
  if (body !== undefined) headers['content-type'] ??= 'application/json'
  const response = await fetch(base + path, { method, headers, body })
  const text = await response.text()
  let json: unknown
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}
