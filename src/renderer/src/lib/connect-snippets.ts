/**
 * Ready-to-paste ways to reach this broker, for the connect help: the listener URLs and snippets
 * for mosquitto_sub / mosquitto_pub, MQTT.js, Python paho and an ESP32 / Arduino sketch. Pure, so
 * it is unit-tested; the snippets are run against a real broker in test/renderer/connect-snippets.
 */
import type { ListenerInfo } from '../../../shared/broker-types'

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])
const EVERY_INTERFACE = new Set(['0.0.0.0', '::', ''])

/** The broker listens on this machine only: devices on the network cannot reach it. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.')
}

export function listensEverywhere(host: string): boolean {
  return EVERY_INTERFACE.has(host)
}

export interface ConnectTarget {
  /** Host a program on this machine uses. */
  local: string
  /** Host a device on the network uses (a LAN address of this machine), or null when it cannot reach the broker. */
  device: string | null
  /** While devices cannot reach it: the address they would use once LAN devices are allowed. */
  lan: string | null
}

/** Which host names to put in the snippets for the listen address and this machine's LAN addresses. */
export function connectTarget(host: string, lanAddresses: readonly string[]): ConnectTarget {
  const lan = lanAddresses[0] ?? null
  if (isLoopbackHost(host))
    return { local: host === 'localhost' ? 'localhost' : host.includes(':') ? `[${host}]` : host, device: null, lan }
  if (listensEverywhere(host)) return { local: '127.0.0.1', device: lan, lan }
  // A specific address: everyone uses it.
  const bare = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
  return { local: bare, device: bare, lan }
}

export interface Snippet {
  id: 'mosquitto_sub' | 'mosquitto_pub' | 'mqttjs' | 'paho' | 'esp32'
  title: string
  code: string
}

/** The snippets for the listeners that are up (TCP for all, WebSocket for the browser line). */
export function connectSnippets(target: ConnectTarget, listeners: readonly ListenerInfo[], wsPath: string): Snippet[] {
  const tcp = listeners.find((l) => l.name === 'tcp' && l.listening)
  const ws = listeners.find((l) => l.name === 'ws' && l.listening)
  const snippets: Snippet[] = []
  const host = target.local
  const pyHost = host.replace(/^\[(.*)\]$/, '$1')
  if (tcp) {
    snippets.push(
      { id: 'mosquitto_sub', title: 'mosquitto_sub: see every message', code: `mosquitto_sub -h ${pyHost} -p ${tcp.port} -t '#' -v` },
      {
        id: 'mosquitto_pub',
        title: 'mosquitto_pub: send one',
        code: `mosquitto_pub -h ${pyHost} -p ${tcp.port} -t 'test/hello' -m 'hello from mosquitto_pub'`
      },
      {
        id: 'paho',
        title: 'Python (paho-mqtt)',
        code: `python3 -c "import paho.mqtt.publish as p; p.single('test/hello', 'hello from paho', hostname='${pyHost}', port=${tcp.port})"`
      }
    )
  }
  const lines = ["import mqtt from 'mqtt'"]
  if (tcp) lines.push(`const client = mqtt.connect('mqtt://${host}:${tcp.port}')`)
  if (ws) lines.push(`${tcp ? '// in a browser: ' : 'const client = '}mqtt.connect('ws://${host}:${ws.port}${wsPath}')`)
  if (tcp || ws) {
    lines.push("client.on('connect', () => client.publish('test/hello', 'hello from MQTT.js'))")
    snippets.push({ id: 'mqttjs', title: 'MQTT.js (Node.js or a browser)', code: lines.join('\n') })
  }
  if (tcp) {
    const device = target.device ?? target.lan ?? 'THIS-MACHINE-LAN-ADDRESS'
    snippets.push({
      id: 'esp32',
      title: 'ESP32 / Arduino (PubSubClient)',
      code: [
        `// mqtt://${device}:${tcp.port}: the ESP32 is another machine, so never 127.0.0.1 here${target.device === null ? ' (allow LAN devices first)' : ''}`,
        `client.setServer("${device.replace(/^\[(.*)\]$/, '$1')}", ${tcp.port});`,
        'client.connect("esp32-1");',
        'client.publish("test/hello", "hello from the ESP32");'
      ].join('\n')
    })
  }
  return snippets
}
