/**
 * MQTT bytes for a recorded packet, for the pcapng file. The broker's event stream carries the
 * decoded fields of each packet, not its bytes, so the bytes are encoded again with mqtt-packet
 * in the client's protocol version. PUBLISH, acknowledgements, PING and DISCONNECT come out as
 * they were sent; what the event does not carry is filled in plainly: CONNECT has no password and
 * no will, SUBSCRIBE asks QoS 0 for each filter, SUBACK / UNSUBACK grant 0 for each.
 */
import mqttPacket, { type Packet } from 'mqtt-packet'
import type { RecordedPacket } from '../record/recording-format'
import { decodePayload, wireProperties } from '../record/recording-format'

export type MqttVersion = 3 | 4 | 5

/** CONNECT fields the broker reports among the packet's properties (see connection.ts describePacket). */
const CONNECT_FIELDS = new Set(['clientId', 'protocolVersion', 'clean', 'keepalive', 'username'])

export class MqttReencoder {
  /** Filters per SUBSCRIBE / UNSUBSCRIBE awaiting their acknowledgement, by client and packet id. */
  private readonly pendingFilters = new Map<string, number>()

  /** The packet's bytes, or null when it cannot be encoded (an unknown type, a field out of range). */
  encode(record: RecordedPacket, version: MqttVersion): Buffer | null {
    const packet = this.packetOf(record, version)
    if (packet === null) return null
    try {
      return mqttPacket.generate(packet, { protocolVersion: version })
    } catch {
      return null
    }
  }

  /** A CONNECT / CONNACK pair for a connection whose real one is not in the recording. */
  static syntheticConnect(clientId: string, version: MqttVersion): { connect: Buffer; connack: Buffer } {
    const connect = mqttPacket.generate(
      { cmd: 'connect', protocolId: version === 3 ? 'MQIsdp' : 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 0 },
      { protocolVersion: version }
    )
    const connack = mqttPacket.generate(
      version === 5 ? { cmd: 'connack', sessionPresent: false, reasonCode: 0 } : { cmd: 'connack', sessionPresent: false, returnCode: 0 },
      { protocolVersion: version }
    )
    return { connect, connack }
  }

  forget(clientId: string): void {
    for (const key of this.pendingFilters.keys()) if (key.startsWith(`${clientId}\u0000`)) this.pendingFilters.delete(key)
  }

  private packetOf(record: RecordedPacket, version: MqttVersion): Packet | null {
    const v5 = version === 5
    const properties = v5 ? wireProperties(record.properties) : undefined
    const messageId = record.packetId
    const key = `${record.clientId}\u0000${messageId ?? ''}`
    switch (record.type) {
      case 'connect': {
        const fields = record.properties ?? {}
        const connectProperties: Record<string, unknown> = {}
        for (const [name, value] of Object.entries(wireProperties(fields) ?? {})) {
          if (!CONNECT_FIELDS.has(name)) connectProperties[name] = value
        }
        return {
          cmd: 'connect',
          protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
          protocolVersion: version,
          clientId: typeof fields.clientId === 'string' ? fields.clientId : record.clientId,
          clean: fields.clean !== false,
          keepalive: typeof fields.keepalive === 'number' ? fields.keepalive : 0,
          username: typeof fields.username === 'string' ? fields.username : undefined,
          properties: v5 && Object.keys(connectProperties).length > 0 ? connectProperties : undefined
        } as Packet
      }
      case 'connack':
        return (
          v5
            ? { cmd: 'connack', sessionPresent: false, reasonCode: record.reasonCode ?? 0, properties }
            : { cmd: 'connack', sessionPresent: false, returnCode: record.reasonCode ?? 0 }
        ) as Packet
      case 'publish':
        return {
          cmd: 'publish',
          topic: record.topic ?? '',
          payload: decodePayload(record),
          qos: record.qos ?? 0,
          retain: record.retain ?? false,
          dup: record.dup ?? false,
          messageId: (record.qos ?? 0) > 0 ? messageId : undefined,
          properties
        } as Packet
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
        return { cmd: record.type, messageId, reasonCode: v5 ? record.reasonCode : undefined, properties } as Packet
      case 'subscribe': {
        const filters = (record.topic ?? '').split(', ').filter((f) => f !== '')
        this.pendingFilters.set(key, filters.length)
        return { cmd: 'subscribe', messageId, subscriptions: filters.map((topic) => ({ topic, qos: 0 })), properties } as Packet
      }
      case 'unsubscribe': {
        const filters = (record.topic ?? '').split(', ').filter((f) => f !== '')
        this.pendingFilters.set(key, filters.length)
        return { cmd: 'unsubscribe', messageId, unsubscriptions: filters, properties } as Packet
      }
      case 'suback':
      case 'unsuback': {
        const count = this.pendingFilters.get(key) ?? 1
        this.pendingFilters.delete(key)
        if (record.type === 'unsuback' && !v5) return { cmd: 'unsuback', messageId } as Packet
        return { cmd: record.type, messageId, granted: new Array(count).fill(record.reasonCode ?? 0), properties } as Packet
      }
      case 'pingreq':
      case 'pingresp':
        return { cmd: record.type } as Packet
      case 'disconnect':
        return { cmd: 'disconnect', reasonCode: v5 ? (record.reasonCode ?? 0) : undefined, properties } as Packet
      case 'auth':
        return v5 ? ({ cmd: 'auth', reasonCode: record.reasonCode ?? 0, properties } as Packet) : null
      default:
        return null
    }
  }
}
