/**
 * Development certificates with node:crypto alone (no openssl, no npm package): a self-signed
 * certificate for the TLS listeners, which is also the CA that signs client certificates, and
 * client certificates signed by it. ECDSA P-256 keys, SHA-256 signatures, X.509 v3.
 *
 * Node can parse certificates (crypto.X509Certificate) but not make them, so the DER is written
 * here: a certificate is a small, fixed ASN.1 structure (RFC 5280 §4.1).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'

export interface GeneratedCertificate {
  /** PEM certificate. */
  cert: string
  /** PEM private key (PKCS#8). */
  key: string
}

export interface ServerCertificateOptions {
  /** DNS names and IP addresses the certificate is valid for. */
  hosts?: readonly string[]
  commonName?: string
  /** Days from now until it expires. */
  days?: number
}

export interface ClientCertificateOptions {
  /** The CN: the user name when the broker runs with useIdentityAsUsername. */
  commonName: string
  /** The certificate and key that sign it (a certificate made by createServerCertificate). */
  issuer: GeneratedCertificate
  days?: number
}

export const DEFAULT_CERTIFICATE_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1']
const DEFAULT_DAYS = 825

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2'
} as const

/** A self-signed certificate valid for `hosts`, usable as the TLS server certificate and as the CA for client certificates. */
export function createServerCertificate(options: ServerCertificateOptions = {}): GeneratedCertificate {
  const hosts = options.hosts && options.hosts.length > 0 ? options.hosts : DEFAULT_CERTIFICATE_HOSTS
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const name = distinguishedName(options.commonName ?? 'BrokerScope development certificate')
  const keyId = keyIdentifier(publicKey)
  const extensions = [
    extension(OID.basicConstraints, true, seq(bool(true))),
    // digitalSignature (TLS handshakes), keyCertSign and cRLSign (it signs client certificates).
    extension(OID.keyUsage, true, namedBits([0, 5, 6])),
    extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.subjectAltName, false, seq(...hosts.map(generalName))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyId))
  ]
  const cert = build({ subject: name, issuer: name, publicKey, signingKey: privateKey, days: options.days ?? DEFAULT_DAYS, extensions })
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

/** A client certificate with CN `commonName`, signed by `issuer`. */
export function createClientCertificate(options: ClientCertificateOptions): GeneratedCertificate {
  const issuerCert = new X509Certificate(options.issuer.cert)
  const issuerDer = issuerCert.raw
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const extensions = [
    extension(OID.basicConstraints, true, seq()),
    extension(OID.keyUsage, true, namedBits([0])),
    extension(OID.extKeyUsage, false, seq(oid(OID.clientAuth))),
    extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(publicKey)))
  ]
  const issuerKeyId = findSubjectKeyIdentifier(issuerDer)
  if (issuerKeyId !== null) extensions.push(extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, issuerKeyId))))
  const cert = build({
    subject: distinguishedName(options.commonName),
    issuer: subjectOf(issuerDer),
    publicKey,
    signingKey: options.issuer.key,
    days: options.days ?? DEFAULT_DAYS,
    extensions
  })
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }
}

function build(spec: {
  subject: Buffer
  issuer: Buffer
  publicKey: KeyObject
  signingKey: KeyObject | string
  days: number
  extensions: Buffer[]
}): string {
  const serial = randomBytes(16)
  serial[0] &= 0x7f // positive
  serial[0] |= 0x01 // and without a leading zero byte
  const algorithm = seq(oid(OID.ecdsaWithSha256))
  const notBefore = new Date(Date.now() - 60 * 60 * 1000) // an hour of slack for clock skew
  const notAfter = new Date(Date.now() + spec.days * 24 * 60 * 60 * 1000)
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // version 3
    integer(serial),
    algorithm,
    spec.issuer,
    seq(time(notBefore), time(notAfter)),
    spec.subject,
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...spec.extensions))
  )
  const signature = sign('sha256', tbs, spec.signingKey)
  const der = seq(tbs, algorithm, bitString(signature))
  const base64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`
}

// ───────────────────────────── DER ─────────────────────────────

function tlv(tag: number, content: Buffer): Buffer {
  const length = content.length
  let header: Buffer
  if (length < 0x80) header = Buffer.from([tag, length])
  else {
    const bytes: number[] = []
    for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff)
    header = Buffer.from([tag, 0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([header, content])
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
const bool = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]))
const octetString = (bytes: Buffer): Buffer => tlv(0x04, bytes)
const bitString = (bytes: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]))
const utf8String = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))

function integer(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1] < 0x80) start++
  const body = bytes.subarray(start)
  return tlv(0x02, body[0] >= 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body)
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes: number[] = [parts[0] * 40 + parts[1]]
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f]
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString() // 2025-01-31T12:34:56.789Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z' // 20250131123456Z
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits))
}

/** A KeyUsage-style BIT STRING with the given bits (0 = most significant) set. */
function namedBits(bits: readonly number[]): Buffer {
  const last = Math.max(...bits)
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1)
  for (const bit of bits) bytes[Math.floor(bit / 8)] |= 0x80 >> (bit % 8)
  const unused = 7 - (last % 8)
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]))
}

function distinguishedName(commonName: string): Buffer {
  return seq(set(seq(oid(OID.organization), utf8String('BrokerScope'))), set(seq(oid(OID.commonName), utf8String(commonName))))
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octetString(value)) : seq(oid(id), octetString(value))
}

function generalName(host: string): Buffer {
  const version = isIP(host)
  if (version === 4) return tlv(0x87, Buffer.from(host.split('.').map(Number)))
  if (version === 6) return tlv(0x87, ipv6Bytes(host))
  return tlv(0x82, Buffer.from(host, 'ascii'))
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, null]
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  const fill = tail === null ? [] : new Array<string>(8 - headParts.length - tailParts.length).fill('0')
  const groups = [...headParts, ...fill, ...tailParts]
  const bytes = Buffer.alloc(16)
  groups.forEach((group, i) => {
    bytes.writeUInt16BE(parseInt(group || '0', 16), i * 2)
  })
  return bytes
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const outer = readTlv(spki, 0)
  const algorithm = readTlv(spki, outer.contentStart)
  const bits = readTlv(spki, algorithm.end)
  return createHash('sha1')
    .update(spki.subarray(bits.contentStart + 1, bits.end))
    .digest()
}

interface Tlv {
  tag: number
  start: number
  contentStart: number
  end: number
}

function readTlv(der: Buffer, at: number): Tlv {
  const tag = der[at]
  let length = der[at + 1]
  let contentStart = at + 2
  if (length & 0x80) {
    const count = length & 0x7f
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + der[at + 2 + i]
    contentStart += count
  }
  return { tag, start: at, contentStart, end: contentStart + length }
}

/** The subject Name of a DER certificate, as DER (the issuer of what it signs). */
function subjectOf(certificate: Buffer): Buffer {
  const cert = readTlv(certificate, 0)
  const tbs = readTlv(certificate, cert.contentStart)
  let element = readTlv(certificate, tbs.contentStart)
  if (element.tag === 0xa0) element = readTlv(certificate, element.end) // version
  // serial, signature algorithm, issuer, validity, then the subject
  for (let i = 0; i < 4; i++) element = readTlv(certificate, element.end)
  return certificate.subarray(element.start, element.end)
}

/** The subjectKeyIdentifier extension's key id, or null. */
function findSubjectKeyIdentifier(certificate: Buffer): Buffer | null {
  const marker = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0e])
  const found = certificate.indexOf(marker)
  if (found < 0) return null
  let element = readTlv(certificate, found + marker.length)
  if (element.tag === 0x01) element = readTlv(certificate, element.end) // critical flag
  if (element.tag !== 0x04) return null
  const inner = readTlv(certificate, element.contentStart)
  return inner.tag === 0x04 ? certificate.subarray(inner.contentStart, inner.end) : null
}
