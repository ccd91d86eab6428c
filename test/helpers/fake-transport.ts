import mqttPacket, { type Packet } from 'mqtt-packet'
import type { Transport, TransportHandlers } from '../../src/main/broker/connection/transport'

/** An in-memory MQTT 5 transport whose "socket buffer" a test fills and drains by hand. */
export class FakeTransport implements Transport {
  readonly kind = 'tcp' as const
  readonly remoteAddress = 'fake:1'
  buffered = 0
  closed = false
  readonly packets: Packet[] = []
  private handlers: TransportHandlers | null = null
  private readonly parser = mqttPacket.parser({ protocolVersion: 5 })

  constructor() {
    this.parser.on('packet', (packet: Packet) => this.packets.push(packet))
  }

  setHandlers(handlers: TransportHandlers): void {
    this.handlers = handlers
  }
  write(data: Buffer): void {
    this.buffered += data.length
    this.parser.parse(data)
  }
  bufferedBytes(): number {
    return this.buffered
  }
  pause(): void {}
  resume(): void {}
  end(): void {
    this.close()
  }
  destroy(): void {
    this.close()
  }
  private close(): void {
    if (this.closed) return
    this.closed = true
    this.handlers?.onTransportClose()
  }
  /** The peer sends a packet. */
  send(packet: Packet): void {
    this.handlers!.onTransportData(mqttPacket.generate(packet, { protocolVersion: 5 }))
  }
  /** The peer read everything: the socket's drain event. */
  drain(): void {
    this.buffered = 0
    this.handlers!.onTransportDrain()
  }
  publishes(): Array<Extract<Packet, { cmd: 'publish' }>> {
    return this.packets.filter((p): p is Extract<Packet, { cmd: 'publish' }> => p.cmd === 'publish')
  }
}
