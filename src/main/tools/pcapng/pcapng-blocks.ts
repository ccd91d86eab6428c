/**
 * pcapng blocks (IETF draft-ietf-opsawg-pcapng): a Section Header, one Interface Description of
 * link type RAW (each packet starts with its IPv4 or IPv6 header), and one Enhanced Packet Block
 * per packet, timestamps in microseconds (the default if_tsresol). Little-endian, as written here.
 */

const SHB_TYPE = 0x0a0d0d0a
const IDB_TYPE = 0x00000001
const EPB_TYPE = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
/** LINKTYPE_RAW: raw IPv4 / IPv6, no link-layer header. */
export const LINKTYPE_RAW = 101

const OPT_END = 0
const OPT_COMMENT = 1
const SHB_USERAPPL = 4
const IF_NAME = 2

function option(code: number, value: string): Buffer {
  const data = Buffer.from(value, 'utf8')
  const padded = Buffer.alloc(4 + pad4(data.length))
  padded.writeUInt16LE(code, 0)
  padded.writeUInt16LE(data.length, 2)
  data.copy(padded, 4)
  return padded
}

function options(list: Array<[number, string]>): Buffer {
  if (list.length === 0) return Buffer.alloc(0)
  return Buffer.concat([...list.map(([code, value]) => option(code, value)), Buffer.from([OPT_END, 0, 0, 0])])
}

function pad4(n: number): number {
  return (n + 3) & ~3
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length
  const out = Buffer.alloc(total)
  out.writeUInt32LE(type, 0)
  out.writeUInt32LE(total, 4)
  body.copy(out, 8)
  out.writeUInt32LE(total, total - 4)
  return out
}

export function sectionHeaderBlock(application: string): Buffer {
  const fixed = Buffer.alloc(16)
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0)
  fixed.writeUInt16LE(1, 4) // major
  fixed.writeUInt16LE(0, 6) // minor
  // Section length unknown (-1): the file is written as a stream.
  fixed.writeInt32LE(-1, 8)
  fixed.writeInt32LE(-1, 12)
  return block(SHB_TYPE, Buffer.concat([fixed, options([[SHB_USERAPPL, application]])]))
}

export function interfaceDescriptionBlock(name: string): Buffer {
  const fixed = Buffer.alloc(8)
  fixed.writeUInt16LE(LINKTYPE_RAW, 0)
  fixed.writeUInt32LE(0, 4) // snaplen: no limit
  return block(IDB_TYPE, Buffer.concat([fixed, options([[IF_NAME, name]])]))
}

/** One packet; `timeMs` may have a fractional part (µs resolution). */
export function enhancedPacketBlock(timeMs: number, packet: Buffer, comment?: string): Buffer {
  const fixed = Buffer.alloc(20)
  const micros = BigInt(Math.round(timeMs * 1000))
  fixed.writeUInt32LE(0, 0) // interface 0
  fixed.writeUInt32LE(Number(micros >> 32n), 4)
  fixed.writeUInt32LE(Number(micros & 0xffffffffn), 8)
  fixed.writeUInt32LE(packet.length, 12)
  fixed.writeUInt32LE(packet.length, 16)
  const data = Buffer.alloc(pad4(packet.length))
  packet.copy(data)
  return block(EPB_TYPE, Buffer.concat([fixed, data, options(comment ? [[OPT_COMMENT, comment]] : [])]))
}
