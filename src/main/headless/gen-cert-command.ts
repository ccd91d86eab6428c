/**
 * `brokerscope gen-cert`: a self-signed development certificate and key for the TLS listeners,
 * made with node:crypto (no openssl needed), and optionally client certificates signed by it.
 *
 *   brokerscope gen-cert [--out DIR] [--host NAMES] [--days N] [--client NAME] [--force]
 *
 * Writes DIR/cert.pem and DIR/key.pem (DIR defaults to ./brokerscope-certs), valid for localhost,
 * 127.0.0.1 and ::1 plus any --host names (comma-separated). The certificate is its own CA:
 * clients trust it with --cafile / `ca`, and --client NAME signs DIR/client-NAME.pem (CN = NAME)
 * with it, for requireClientCertificate. Existing files are not overwritten without --force
 * (--client reuses an existing cert.pem/key.pem).
 *
 * Exit codes: 0 done, 1 a file could not be written, 2 bad command line.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { createClientCertificate, createServerCertificate, DEFAULT_CERTIFICATE_HOSTS, type GeneratedCertificate } from './dev-certificate'
import type { CliIo } from './cli'

export const GEN_CERT_USAGE = [
  'Usage: brokerscope gen-cert [--out DIR] [--host NAMES] [--days N] [--client NAME] [--force]',
  '',
  '  --out DIR       where to write cert.pem and key.pem [default: brokerscope-certs]',
  `  --host NAMES    more host names or IP addresses, comma-separated [always: ${DEFAULT_CERTIFICATE_HOSTS.join(', ')}]`,
  '  --days N        validity in days [default: 825]',
  '  --client NAME   also write client-NAME.pem / client-NAME-key.pem, signed by cert.pem (CN = NAME)',
  '  --force         overwrite existing files',
  '',
  'A development certificate: self-signed, so clients must be given it as their CA.'
].join('\n')

export function genCertMain(args: readonly string[], io: CliIo): number {
  let out = 'brokerscope-certs'
  const hosts = [...DEFAULT_CERTIFICATE_HOSTS]
  let days = 825
  let client: string | null = null
  let force = false
  const usageError = (message: string): number => {
    io.stderr(`brokerscope gen-cert: ${message}`)
    io.stderr('Run `brokerscope gen-cert --help` for the usage.')
    return 2
  }
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith('--') && args[i].includes('=') ? splitOnce(args[i]) : [args[i], null]
    const value = (): string | null => (inline !== null ? inline : i + 1 < args.length ? args[++i] : null)
    switch (flag) {
      case '-h':
      case '--help':
        io.stdout(GEN_CERT_USAGE)
        return 0
      case '--out': {
        const v = value()
        if (!v) return usageError('--out needs a directory')
        out = v
        break
      }
      case '--host':
      case '--hosts': {
        const v = value()
        if (!v) return usageError('--host needs names, like --host myhost.local,192.168.1.20')
        for (const name of v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)) {
          if (!/^[A-Za-z0-9.:*-]+$/.test(name)) return usageError(`--host: "${name}" is not a host name or IP address`)
          if (!hosts.includes(name)) hosts.push(name)
        }
        break
      }
      case '--days': {
        const v = value()
        if (!v || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 36500) return usageError('--days must be a whole number from 1 to 36500')
        days = Number(v)
        break
      }
      case '--client': {
        const v = value()
        if (!v || !/^[A-Za-z0-9._@-]+$/.test(v)) return usageError('--client needs a name of letters, digits, . _ @ or -')
        client = v
        break
      }
      case '--force':
        force = true
        break
      default:
        return usageError(`unknown option ${args[i]}`)
    }
  }

  const certPath = join(out, 'cert.pem')
  const keyPath = join(out, 'key.pem')
  const written: string[] = []
  try {
    mkdirSync(out, { recursive: true })
    let server: GeneratedCertificate
    const haveServer = existsSync(certPath) && existsSync(keyPath)
    if (haveServer && client !== null && !force) {
      server = { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
    } else {
      for (const path of [certPath, keyPath]) {
        if (existsSync(path) && !force) {
          io.stderr(`brokerscope gen-cert: ${path} exists; use --force to replace it (or --out for another directory)`)
          return 1
        }
      }
      server = createServerCertificate({ hosts, days })
      writeFileSync(certPath, server.cert)
      writeFileSync(keyPath, server.key, { mode: 0o600 })
      written.push(certPath, keyPath)
    }
    let clientPaths: { cert: string; key: string } | null = null
    if (client !== null) {
      clientPaths = { cert: join(out, `client-${client}.pem`), key: join(out, `client-${client}-key.pem`) }
      for (const path of [clientPaths.cert, clientPaths.key]) {
        if (existsSync(path) && !force) {
          io.stderr(`brokerscope gen-cert: ${path} exists; use --force to replace it`)
          return 1
        }
      }
      const made = createClientCertificate({ commonName: client, issuer: server, days })
      writeFileSync(clientPaths.cert, made.cert)
      writeFileSync(clientPaths.key, made.key, { mode: 0o600 })
      written.push(clientPaths.cert, clientPaths.key)
    }

    const info = new X509Certificate(server.cert)
    for (const path of written) io.stdout(`wrote ${path}`)
    io.stdout(
      `The certificate is valid for ${info.subjectAltName?.replace(/DNS:|IP Address:/g, '') ?? hosts.join(', ')} until ${new Date(info.validTo).toISOString().slice(0, 10)}.`
    )
    io.stdout('')
    io.stdout('Start the broker with MQTT over TLS (8883) and secure WebSocket (8084):')
    io.stdout(`  brokerscope --tls-port 8883 --wss-port 8084 --cert-file ${certPath} --key-file ${keyPath}`)
    io.stdout('Clients trust the certificate as their CA:')
    io.stdout(`  mosquitto_sub --cafile ${certPath} -h localhost -p 8883 -t '#' -v`)
    io.stdout(`  mqtt.connect('mqtts://localhost:8883', { ca: fs.readFileSync('${certPath}') })   // MQTT.js`)
    if (clientPaths !== null) {
      io.stdout('')
      io.stdout(`Require client certificates, with the CN (${client}) as the user name:`)
      io.stdout(
        `  brokerscope --tls-port 8883 --cert-file ${certPath} --key-file ${keyPath} --ca-file ${certPath} --require-client-certificate --use-identity-as-username`
      )
      io.stdout(
        `  mosquitto_pub --cafile ${certPath} --cert ${clientPaths.cert} --key ${clientPaths.key} -h localhost -p 8883 -t test -m hello`
      )
    }
    return 0
  } catch (err) {
    io.stderr(`brokerscope gen-cert: ${err instanceof Error ? err.message : String(err)}`)
    return 1
  }
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=')
  return [arg.slice(0, at), arg.slice(at + 1)]
}
