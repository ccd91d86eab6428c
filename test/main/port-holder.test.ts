/**
 * Naming who holds a port: for real on this machine (a child process listening), and the parsers
 * of the other systems' tools on their output.
 */
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { findFreePort, portInUse } from '../../src/main/system/free-port'
import { findPortHolder, listeningInodes, parseLsof, parseNetstat } from '../../src/main/system/port-holder'
import { freePort } from '../helpers/broker-harness'
import { holdPortInNode } from '../helpers/port-holder'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** A separate process (so not this one) listening on `port` on 127.0.0.1. */
async function holder(port: number): Promise<ChildProcess> {
  const child = await holdPortInNode(port)
  children.push(child)
  return child
}

describe('findPortHolder on this machine', () => {
  it.runIf(process.platform === 'linux')('names the process listening on the port, from /proc', async () => {
    const port = await freePort()
    const child = await holder(port)
    expect(await findPortHolder(port)).toEqual({ pid: child.pid, command: 'node' })
  })

  it('says nothing for a port nobody listens on', async () => {
    expect(await findPortHolder(await freePort())).toBeNull()
  })
})

describe('the parsers', () => {
  const procNetTcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:075B 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 424242 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:075B 0100007F:D0F2 01 00000000:00000000 00:00000000 00000000   106        0 515151 1 0000000000000000 20 4 30 10 -1',
    '   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0'
  ].join('\n')

  it('/proc/net/tcp: the inode of the LISTEN socket on the port, not of its connections', () => {
    expect(listeningInodes(procNetTcp, 1883)).toEqual(['424242'])
    expect(listeningInodes(procNetTcp, 8080)).toEqual(['777'])
    expect(listeningInodes(procNetTcp, 8083)).toEqual([])
  })

  it('lsof -Fpc (macOS and others)', () => {
    expect(parseLsof('p4242\ncmosquitto\nf5\n')).toEqual({ pid: 4242, command: 'mosquitto' })
    expect(parseLsof('')).toBeNull()
  })

  it('netstat -ano (Windows)', () => {
    const output = [
      'Active Connections',
      '',
      '  Proto  Local Address          Foreign Address        State           PID',
      '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       948',
      '  TCP    127.0.0.1:1883         0.0.0.0:0              LISTENING       5120',
      '  TCP    127.0.0.1:1883         127.0.0.1:50000        ESTABLISHED     5120'
    ].join('\r\n')
    expect(parseNetstat(output, 1883)).toBe(5120)
    expect(parseNetstat(output, 8083)).toBeNull()
  })
})

describe('free ports', () => {
  it('a taken port is in use; the suggestion skips it and the ports to avoid', async () => {
    const port = await freePort()
    await holder(port)
    expect(await portInUse('127.0.0.1', port)).toBe(true)
    expect(await portInUse('127.0.0.1', await freePort())).toBe(false)
    const suggested = await findFreePort('127.0.0.1', port, new Set([port + 1]))
    expect(suggested).not.toBeNull()
    expect([port, port + 1]).not.toContain(suggested)
    expect(await portInUse('127.0.0.1', suggested!)).toBe(false)
  })
})
