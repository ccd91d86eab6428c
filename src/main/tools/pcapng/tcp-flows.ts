/**
 * MQTT bytes framed as TCP segments in IPv4/IPv6 packets, one TCP connection per client
 * connection, between the client's address and the broker's on port 1883 (where Wireshark's MQTT
 * dissector looks). Each flow opens with a three-way handshake, keeps consistent sequence and
 * acknowledgement numbers (so Wireshark reassembles packets split over segments) and closes with
 * FINs when the client goes away. Checksums are computed.
 */
import { isIPv4, isIPv6 } from 'node:net'

export const MQTT_PORT = 1883
/** Segment payload size: large MQTT packets are split, as a real TCP stream would be. */
const MSS = 16 * 1024

const FIN = 0x01
const SYN = 0x02
const PSH = 0x08
const ACK = 0x10

export interface Endpoint {
  ip: Buffer
  port: number
}

interface Flow {
  client: Endpoint
  server: Endpoint
  clientSeq: number
  serverSeq: number
}

/** "127.0.0.1:5000", "::1:5000", "[::1]:5000", "::ffff:10.0.0.2:5000" → address and port, or null. */
export function parseAddress(text: string | null | undefined): { ip: Buffer; port: number } | null {
  if (!text) return null
  const cut = text.lastIndexOf(':')
  if (cut <= 0) return null
  let host = text.slice(0, cut)
  const port = Number(text.slice(cut + 1))
  if (!Number.isInteger(port) || port < 0 || port > 65535) return null
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host.startsWith('::ffff:') && isIPv4(host.slice(7))) host = host.slice(7)
  const ip = ipBytes(host)
  return ip === null ? null : { ip, port }
}

export function ipBytes(host: string): Buffer | null {
  if (isIPv4(host)) return Buffer.from(host.split('.').map(Number))
  if (!isIPv6(host)) return null
  const [head, tail] = host.includes('::') ? host.split('::') : [host, null]
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  const groups = tail === null ? headParts : [...headParts, ...Array(8 - headParts.length - tailParts.length).fill('0'), ...tailParts]
  if (groups.length !== 8) return null
  const out = Buffer.alloc(16)
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i] || '0', 16), i * 2)
  return out
}

export class TcpFlows {
  private readonly flows = new Map<string, Flow>()
  private nextSyntheticHost = 1
  private nextSyntheticPort = 40000
  private ipId = 1

  constructor(
    /** The broker's address for IPv4 and IPv6 clients. */
    private readonly serverV4: Buffer = Buffer.from([127, 0, 0, 1]),
    private readonly serverV6: Buffer = ipBytes('::1')!
  ) {}

  has(key: string): boolean {
    return this.flows.has(key)
  }

  /**
   * Open a flow for `key` (one client connection) from `address` ("ip:port"; a made-up address
   * when unknown). Returns the handshake packets.
   */
  open(key: string, address: string | null): Buffer[] {
    this.close(key)
    let client = parseAddress(address)
    if (client === null || client.port === 0) {
      // No usable address (or WebSocket clients behind a proxy): a stable made-up one, 10.77.x.y.
      const n = this.nextSyntheticHost++
      client = { ip: Buffer.from([10, 77, (n >> 8) & 0xff, n & 0xff]), port: this.nextSyntheticPort++ }
      if (this.nextSyntheticPort > 65000) this.nextSyntheticPort = 40000
    }
    const server: Endpoint = { ip: client.ip.length === 4 ? this.serverV4 : this.serverV6, port: MQTT_PORT }
    const flow: Flow = { client, server, clientSeq: 1000, serverSeq: 5000 }
    this.flows.set(key, flow)
    const packets = [
      this.segment(flow, 'in', SYN, Buffer.alloc(0)),
      this.segment(flow, 'out', SYN | ACK, Buffer.alloc(0)),
      this.segment(flow, 'in', ACK, Buffer.alloc(0))
    ]
    return packets
  }

  /** The bytes of one MQTT packet, as one or more segments; 'in' = client → broker. */
  data(key: string, direction: 'in' | 'out', bytes: Buffer): Buffer[] {
    const flow = this.flows.get(key)
    if (flow === undefined) throw new Error(`no TCP flow for ${key}`)
    const out: Buffer[] = []
    for (let offset = 0; offset < bytes.length; offset += MSS) {
      out.push(this.segment(flow, direction, PSH | ACK, bytes.subarray(offset, Math.min(bytes.length, offset + MSS))))
    }
    return out
  }

  /** Close the flow (FIN both ways); nothing when there is none. */
  close(key: string): Buffer[] {
    const flow = this.flows.get(key)
    if (flow === undefined) return []
    this.flows.delete(key)
    return [this.segment(flow, 'out', FIN | ACK, Buffer.alloc(0)), this.segment(flow, 'in', FIN | ACK, Buffer.alloc(0))]
  }

  /** Keys of the open flows. */
  keys(): string[] {
    return [...this.flows.keys()]
  }

  private segment(flow: Flow, direction: 'in' | 'out', flags: number, payload: Buffer): Buffer {
    const fromClient = direction === 'in'
    const src = fromClient ? flow.client : flow.server
    const dst = fromClient ? flow.server : flow.client
    const seq = fromClient ? flow.clientSeq : flow.serverSeq
    // The acknowledgement is what the other side has sent so far (+1 for its SYN once seen).
    const ack = flags & ACK ? (fromClient ? flow.serverSeq : flow.clientSeq) : 0
    const tcp = Buffer.alloc(20 + payload.length)
    tcp.writeUInt16BE(src.port, 0)
    tcp.writeUInt16BE(dst.port, 2)
    tcp.writeUInt32BE(seq >>> 0, 4)
    tcp.writeUInt32BE(ack >>> 0, 8)
    tcp[12] = 5 << 4
    tcp[13] = flags
    tcp.writeUInt16BE(65535, 14)
    payload.copy(tcp, 20)
    const advance = payload.length + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)
    if (fromClient) flow.clientSeq = (flow.clientSeq + advance) >>> 0
    else flow.serverSeq = (flow.serverSeq + advance) >>> 0
    tcp.writeUInt16BE(tcpChecksum(src.ip, dst.ip, tcp), 16)
    return src.ip.length === 4 ? this.ipv4(src.ip, dst.ip, tcp) : ipv6(src.ip, dst.ip, tcp)
  }

  private ipv4(src: Buffer, dst: Buffer, tcp: Buffer): Buffer {
    const header = Buffer.alloc(20)
    header[0] = 0x45
    header.writeUInt16BE(20 + tcp.length, 2)
    header.writeUInt16BE(this.ipId++ & 0xffff, 4)
    header.writeUInt16BE(0x4000, 6) // don't fragment
    header[8] = 64
    header[9] = 6
    src.copy(header, 12)
    dst.copy(header, 16)
    header.writeUInt16BE(onesComplement(sum16(header, 0)), 10)
    return Buffer.concat([header, tcp])
  }
}

function ipv6(src: Buffer, dst: Buffer, tcp: Buffer): Buffer {
  const header = Buffer.alloc(40)
  header.writeUInt32BE(0x60000000, 0)
  header.writeUInt16BE(tcp.length, 4)
  header[6] = 6
  header[7] = 64
  src.copy(header, 8)
  dst.copy(header, 24)
  return Buffer.concat([header, tcp])
}

function sum16(bytes: Buffer, initial: number): number {
  let sum = initial
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1]
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1] << 8
  return sum
}

function onesComplement(sum: number): number {
  let s = sum
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000)
  return ~s & 0xffff
}

function tcpChecksum(src: Buffer, dst: Buffer, tcp: Buffer): number {
  const pseudo = Buffer.alloc(src.length === 4 ? 12 : 40)
  if (src.length === 4) {
    src.copy(pseudo, 0)
    dst.copy(pseudo, 4)
    pseudo[9] = 6
    pseudo.writeUInt16BE(tcp.length, 10)
  } else {
    src.copy(pseudo, 0)
    dst.copy(pseudo, 16)
    pseudo.writeUInt32BE(tcp.length, 32)
    pseudo[39] = 6
  }
  return onesComplement(sum16(tcp, sum16(pseudo, 0)))
}
