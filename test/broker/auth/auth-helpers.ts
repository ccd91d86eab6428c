import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { Broker } from '../../../src/main/broker/broker'
import { createLogger } from '../../../src/main/logger'
import type { BrokerSettings } from '../../../src/shared/settings'
import { freePort } from '../../helpers/broker-harness'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashPassword } from '../../../src/main/broker/auth/password-hash'

/** A temporary directory for auth files, removed by cleanup(). */
export function tempDir(prefix = 'brokerscope-auth-'): { dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Cheap scrypt parameters for tests that hash many passwords (verification reads them from the hash). */
export const FAST = { N: 1024, r: 8, p: 1 }

/** Write an auth file with these users (plain passwords, hashed here) and ACL rules. */
export function writeAuthFile(path: string, users: Record<string, string>, acl: unknown[] = []): void {
  const data = {
    users: Object.entries(users).map(([username, password]) => ({ username, password: hashPassword(password, FAST) })),
    acl
  }
  writeFileSync(path, `// test auth file\n${JSON.stringify(data, null, 2)}\n`)
}

export interface AuthBroker {
  broker: Broker
  tcpPort: number
  wsPort: number
  /** Log lines (info and up). */
  log: string[]
  connect(options?: IClientOptions & { ws?: boolean }): Promise<MqttClient>
  close(): Promise<void>
}

/** A broker on free ports whose log is kept, for checking what a refusal logs. */
export async function startAuthBroker(settings: Partial<BrokerSettings>): Promise<AuthBroker> {
  const log: string[] = []
  for (let attempt = 0; attempt < 5; attempt++) {
    const [tcpPort, wsPort] = [await freePort(), await freePort()]
    const broker = new Broker({ sysInterval: 0, ...settings, tcpPort, wsPort }, { logger: createLogger('info', (line) => log.push(line)) })
    const infos = await broker.start()
    if (infos.every((info) => info.listening)) {
      return {
        broker,
        tcpPort,
        wsPort,
        log,
        connect: ({ ws, ...options } = {}) =>
          mqtt.connectAsync(ws ? `ws://127.0.0.1:${wsPort}/mqtt` : `mqtt://127.0.0.1:${tcpPort}`, {
            reconnectPeriod: 0,
            connectTimeout: 5000,
            protocolVersion: 4,
            ...options
          }),
        close: () => broker.stop()
      }
    }
    await broker.stop()
  }
  throw new Error('could not bind test broker ports')
}

/** The CONNACK code a refused connect reports (MQTT.js puts it on the error's `code`). */
export async function refusalCode(attempt: Promise<MqttClient>): Promise<number> {
  try {
    const client = await attempt
    await client.endAsync()
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
  throw new Error('the connection was accepted')
}
