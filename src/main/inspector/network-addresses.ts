/**
 * This machine's name and its addresses on the network, for the connect help ("devices on your
 * network use 192.168.1.20:1883"). Loopback and link-local IPv6 addresses are left out: a device
 * cannot use them to reach this machine.
 */
import { hostname, networkInterfaces } from 'node:os'
import type { NetworkAddresses } from '../../shared/api'

export function networkAddresses(): NetworkAddresses {
  const addresses: NetworkAddresses['addresses'] = []
  for (const [name, entries] of Object.entries(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80:')) continue
      addresses.push({ address: entry.address, family: entry.family === 'IPv6' ? 'IPv6' : 'IPv4', interface: name })
    }
  }
  addresses.sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))
  return { hostname: hostname(), addresses }
}
