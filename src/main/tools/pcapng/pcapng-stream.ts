/**
 * Recorded packets → pcapng bytes that Wireshark's MQTT dissector reads: each client connection
 * is a TCP flow to port 1883 (tcp-flows.ts), each MQTT packet is encoded again (mqtt-encode.ts).
 * A connection whose CONNECT is not in the recording (the recording started later) gets a
 * CONNECT / CONNACK made up at its first packet, commented as such, so Wireshark knows its MQTT
 * version (it reads v5 properties only after a v5 CONNECT).
 */
import type { RecordedPacket } from '../record/recording-format'
import { MqttReencoder, type MqttVersion } from './mqtt-encode'
import { enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from './pcapng-blocks'
import { TcpFlows } from './tcp-flows'

export class PcapngStream {
  private readonly flows = new TcpFlows()
  private readonly encoder = new MqttReencoder()
  private readonly versions = new Map<string, MqttVersion>()
  private readonly addresses = new Map<string, string>()
  /** CONNECT (and CONNACK) waiting for the client's address, which the broker reports just after. */
  private readonly pending = new Map<string, RecordedPacket[]>()
  /** Packets that could not be encoded (an unknown type): left out of the pcapng, counted. */
  notEncoded = 0

  /** The file's first bytes. */
  header(): Buffer {
    return Buffer.concat([sectionHeaderBlock('BrokerScope'), interfaceDescriptionBlock('brokerscope')])
  }

  /** What is known of a client (at the start of a recording, and when it connects). */
  client(clientId: string, address: string | null, version: MqttVersion): void {
    if (address !== null) this.addresses.set(clientId, address)
    this.versions.set(clientId, version)
  }

  /** The blocks for one packet, or null (nothing yet: a CONNECT waits for its address). */
  packet(record: RecordedPacket): Buffer | null {
    const key = record.clientId
    if (record.type === 'connect' && record.direction === 'in') {
      const v = record.properties?.protocolVersion
      if (v === 3 || v === 4 || v === 5) this.versions.set(key, v)
      this.pending.set(key, [record])
      return null
    }
    if (record.type === 'connack' && record.direction === 'out') {
      // A client that sent an empty id gets its assigned one from the CONNACK on.
      const held = this.pending.get(key) ?? this.pending.get('')
      if (held !== undefined) {
        this.pending.delete(key)
        this.pending.delete('')
        held.push(record)
        this.pending.set(key, held)
        // Refused: no address will follow.
        if ((record.reasonCode ?? 0) !== 0) return this.connected(key, null, null)
        return null
      }
    }
    const blocks: Buffer[] = []
    if (!this.flows.has(key)) this.openWithMadeUpConnect(key, record.time, blocks)
    this.encodeInto(record, blocks)
    return blocks.length > 0 ? Buffer.concat(blocks) : null
  }

  /** The broker reported the client connected: its held CONNECT / CONNACK go out on a new flow. */
  connected(clientId: string, address: string | null, version: MqttVersion | null): Buffer | null {
    if (address !== null) this.addresses.set(clientId, address)
    if (version !== null) this.versions.set(clientId, version)
    const held = this.pending.get(clientId)
    if (held === undefined) return null
    this.pending.delete(clientId)
    const blocks: Buffer[] = []
    for (const segment of this.flows.open(clientId, this.addresses.get(clientId) ?? null))
      blocks.push(enhancedPacketBlock(held[0].time, segment))
    this.encoder.forget(clientId)
    for (const record of held) this.encodeInto({ ...record, clientId }, blocks)
    return Buffer.concat(blocks)
  }

  /** The client's connection ended: its TCP flow closes. */
  closed(clientId: string, time: number): Buffer | null {
    this.pending.delete(clientId)
    const segments = this.flows.close(clientId)
    this.encoder.forget(clientId)
    if (segments.length === 0) return null
    return Buffer.concat(segments.map((segment) => enhancedPacketBlock(time, segment)))
  }

  private openWithMadeUpConnect(key: string, time: number, blocks: Buffer[]): void {
    const version = this.versions.get(key) ?? 4
    this.versions.set(key, version)
    for (const segment of this.flows.open(key, this.addresses.get(key) ?? null)) blocks.push(enhancedPacketBlock(time, segment))
    const made = MqttReencoder.syntheticConnect(key, version)
    const note = 'not in the recording (it started later): made up so Wireshark knows the MQTT version'
    for (const segment of this.flows.data(key, 'in', made.connect)) blocks.push(enhancedPacketBlock(time, segment, `CONNECT ${note}`))
    for (const segment of this.flows.data(key, 'out', made.connack)) blocks.push(enhancedPacketBlock(time, segment, `CONNACK ${note}`))
  }

  private encodeInto(record: RecordedPacket, blocks: Buffer[]): void {
    const bytes = this.encoder.encode(record, this.versions.get(record.clientId) ?? 4)
    if (bytes === null) {
      this.notEncoded++
      return
    }
    for (const segment of this.flows.data(record.clientId, record.direction, bytes)) blocks.push(enhancedPacketBlock(record.time, segment))
  }
}
