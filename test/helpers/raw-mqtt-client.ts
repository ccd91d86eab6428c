import { connect as netConnect, type Socket } from 'node:net'
import mqttPacket, { type IConnackPacket, type IConnectPacket, type Packet } from 'mqtt-packet'

export type PacketOf<C extends Packet['cmd']> = Extract<Packet, { cmd: C }>

/** A bare MQTT client over TCP: sends exactly what it is told, acknowledges nothing by itself. */
export class RawClient {
  /** Every client connect() opened and destroyAll() has not yet destroyed. */
  private static readonly opened: RawClient[] = []

  private readonly parser
  /** Every packet received, in order. */
  readonly log: Packet[] = []
  private readonly inbox: Packet[] = []
  private wake: (() => void) | null = null
  closed = false

  private constructor(
    private readonly socket: Socket,
    readonly version: 4 | 5
  ) {
    this.parser = mqttPacket.parser({ protocolVersion: version })
    this.parser.on('packet', (packet: Packet) => {
      this.log.push(packet)
      this.inbox.push(packet)
      this.wake?.()
    })
    socket.on('data', (chunk) => this.parser.parse(chunk))
    socket.on('close', () => {
      this.closed = true
      this.wake?.()
    })
    socket.on('error', () => {})
  }

  /** Connect to 127.0.0.1:port, send CONNECT (clean, client id 'raw', no keep alive, unless `fields` say otherwise) and wait for the CONNACK. */
  static async connect(
    port: number,
    version: 4 | 5,
    fields: Partial<IConnectPacket>
  ): Promise<{ raw: RawClient; connack: IConnackPacket }> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect(port, '127.0.0.1', () => resolve(s))
      s.once('error', reject)
    })
    const raw = new RawClient(socket, version)
    RawClient.opened.push(raw)
    raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clean: true, clientId: 'raw', keepalive: 0, ...fields })
    const connack = await raw.take('connack')
    return { raw, connack }
  }

  /** Destroy every client connect() opened since the last call (for afterEach). */
  static destroyAll(): void {
    for (const raw of RawClient.opened.splice(0)) raw.destroy()
  }

  send(packet: Packet): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: this.version }))
  }

  /** The next not yet taken packet of this type (waiting for it up to timeoutMs). */
  async take<C extends Packet['cmd']>(cmd: C, timeoutMs = 1000): Promise<PacketOf<C>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.inbox.findIndex((packet) => packet.cmd === cmd)
      if (index >= 0) return this.inbox.splice(index, 1)[0] as PacketOf<C>
      if (this.closed) throw new Error(`connection closed while waiting for ${cmd}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${cmd} within ${timeoutMs} ms (got ${this.log.map((p) => p.cmd).join(', ')})`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      this.wake = null
    }
  }

  /** How many packets of this type arrived in total. */
  count(cmd: Packet['cmd']): number {
    return this.log.filter((packet) => packet.cmd === cmd).length
  }

  destroy(): void {
    this.socket.destroy()
  }
}
