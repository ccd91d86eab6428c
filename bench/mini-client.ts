/**
 * A small promise-based MQTT client on a raw socket (mqtt-packet for encoding and parsing), for
 * the store steps (bench/restart.ts fills a broker; bench/churn.ts cycles clients). Unlike the
 * throughput generator it favours clarity over speed: a few thousand packets per second is all
 * these steps need, and every acknowledgement is checked by packet id.
 */
import net from 'node:net'
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet'

export interface ConnectOptions {
  host?: string
  port: number
  clientId: string
  /** False: a persistent session (3.1.1 clean session 0). */
  clean: boolean
  protocolVersion?: 4 | 5
  keepalive?: number
  will?: { topic: string; payload: Buffer; qos: 0 | 1 | 2; retain?: boolean }
  /** v5 only. */
  sessionExpiryInterval?: number
  /** Rejects when no CONNACK arrived in time (default 10 s). */
  timeoutMs?: number
  /** Set before the CONNECT goes out: a persistent session's queued messages follow the CONNACK at once. */
  onMessage?: (packet: IPublishPacket) => void
}

interface Pending {
  resolve: (value: Packet) => void
  reject: (err: Error) => void
  /** What completes it: 'puback' (QoS 1), 'pubcomp' (QoS 2, PUBREL sent on PUBREC), 'suback'. */
  until: 'puback' | 'pubcomp' | 'suback'
}

export class MiniClient {
  /** Every PUBLISH received (acknowledged by the client before this is called). */
  onMessage: (packet: IPublishPacket) => void = () => {}
  sessionPresent = false
  readonly closed: Promise<void>
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private closeReason: string | null = null
  private readonly options: { protocolVersion: 4 | 5 }

  private constructor(
    readonly socket: net.Socket,
    protocolVersion: 4 | 5
  ) {
    this.options = { protocolVersion }
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
  }

  static connect(options: ConnectOptions): Promise<MiniClient> {
    const protocolVersion = options.protocolVersion ?? 4
    const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, noDelay: true })
    const client = new MiniClient(socket, protocolVersion)
    if (options.onMessage) client.onMessage = options.onMessage
    const parser = mqttPacket.parser({ protocolVersion })
    return new Promise((resolve, reject) => {
      let connacked = false
      const timer = setTimeout(() => fail(`no CONNACK within ${(options.timeoutMs ?? 10_000) / 1000} s`), options.timeoutMs ?? 10_000)
      const fail = (why: string): void => {
        clearTimeout(timer)
        if (!connacked) {
          socket.destroy()
          reject(new Error(`${options.clientId}: ${why}`))
        }
      }
      socket.on('error', (err) => {
        client.closeReason ??= err.message
        fail(err.message)
      })
      socket.on('close', () => {
        fail(`closed before CONNACK${client.closeReason ? ` (${client.closeReason})` : ''}`)
        client.failAll(`connection closed${client.closeReason ? ` (${client.closeReason})` : ''}`)
      })
      parser.on('error', (err: Error) => {
        client.closeReason = `bad packet from the broker: ${err.message}`
        socket.destroy()
      })
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connack') {
          clearTimeout(timer)
          const code = packet.returnCode ?? packet.reasonCode ?? 0
          if (code !== 0) return fail(`CONNACK refused (${code})`)
          connacked = true
          client.sessionPresent = packet.sessionPresent
          resolve(client)
        } else client.onPacket(packet)
      })
      socket.on('data', (chunk: Buffer) => parser.parse(chunk))
      socket.once('connect', () => {
        socket.write(
          mqttPacket.generate(
            {
              cmd: 'connect',
              protocolId: 'MQTT',
              protocolVersion,
              clientId: options.clientId,
              clean: options.clean,
              keepalive: options.keepalive ?? 0,
              will: options.will ? { ...options.will, retain: options.will.retain ?? false } : undefined,
              properties:
                protocolVersion === 5 && options.sessionExpiryInterval !== undefined
                  ? { sessionExpiryInterval: options.sessionExpiryInterval }
                  : undefined
            },
            { protocolVersion }
          )
        )
      })
    })
  }

  private write(packet: Packet): void {
    if (!this.socket.destroyed) this.socket.write(mqttPacket.generate(packet, this.options))
  }

  private onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case 'publish':
        // Acknowledge first, as a real client does.
        if (packet.qos === 1) this.write({ cmd: 'puback', messageId: packet.messageId })
        else if (packet.qos === 2) this.write({ cmd: 'pubrec', messageId: packet.messageId })
        this.onMessage(packet)
        break
      case 'pubrel':
        this.write({ cmd: 'pubcomp', messageId: packet.messageId })
        break
      case 'puback':
      case 'pubcomp':
      case 'suback':
        this.settle(packet.messageId, packet.cmd, packet)
        break
      case 'pubrec': {
        const pending = packet.messageId === undefined ? undefined : this.pending.get(packet.messageId)
        if (pending?.until === 'pubcomp') this.write({ cmd: 'pubrel', messageId: packet.messageId })
        else this.protocolError(`unexpected PUBREC ${packet.messageId}`)
        break
      }
      case 'disconnect':
        this.closeReason = `DISCONNECT from the broker (${packet.reasonCode ?? 0})`
        break
    }
  }

  private settle(id: number | undefined, cmd: string, packet: Packet): void {
    const pending = id === undefined ? undefined : this.pending.get(id)
    if (!pending || pending.until !== cmd) return this.protocolError(`unexpected ${cmd.toUpperCase()} ${id}`)
    this.pending.delete(id!)
    pending.resolve(packet)
  }

  private protocolError(why: string): void {
    this.closeReason = why
    this.socket.destroy()
  }

  private failAll(why: string): void {
    for (const pending of this.pending.values()) pending.reject(new Error(why))
    this.pending.clear()
  }

  private allocateId(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.nextId
      this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1
      if (!this.pending.has(id)) return id
    }
    throw new Error('no free packet id')
  }

  private request(packet: Packet & { messageId?: number }, until: Pending['until']): Promise<Packet> {
    if (this.socket.destroyed) return Promise.reject(new Error(`connection closed${this.closeReason ? ` (${this.closeReason})` : ''}`))
    const messageId = this.allocateId()
    return new Promise((resolve, reject) => {
      this.pending.set(messageId, { resolve, reject, until })
      this.write({ ...packet, messageId } as Packet)
    })
  }

  /** Resolves with the granted QoS (or reason codes) once SUBACK arrives. */
  async subscribe(subscriptions: Array<{ topic: string; qos: 0 | 1 | 2 }>): Promise<number[]> {
    const suback = (await this.request({ cmd: 'subscribe', subscriptions }, 'suback')) as { granted: number[] }
    return suback.granted
  }

  /** QoS 1/2: resolves at PUBACK / PUBCOMP; QoS 0: once written. */
  publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain = false): Promise<unknown> {
    if (qos === 0) {
      this.write({ cmd: 'publish', topic, payload, qos, retain, dup: false })
      return Promise.resolve()
    }
    return this.request({ cmd: 'publish', topic, payload, qos, retain, dup: false }, qos === 1 ? 'puback' : 'pubcomp')
  }

  /** DISCONNECT, then close the socket once the broker has it (no will is sent). */
  async disconnect(): Promise<void> {
    if (!this.socket.destroyed) this.socket.end(mqttPacket.generate({ cmd: 'disconnect' }, this.options))
    await this.closed
  }

  /** Drop the socket with no DISCONNECT (the broker sends the will). */
  destroy(): void {
    this.socket.destroy()
  }
}

/** Run `task(i)` for i in [0, count) with at most `parallel` at once; rejects at the first failure. */
export async function pool(count: number, parallel: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker))
}
