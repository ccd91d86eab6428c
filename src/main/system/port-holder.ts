/**
 * Who is listening on a TCP port, as far as the OS will say: on Linux from /proc (the listening
 * socket's inode in /proc/net/tcp{,6}, then the process whose /proc/PID/fd links to it), else from
 * `lsof` when it is installed (macOS ships it), else from `netstat -ano` on Windows. Never throws:
 * null means "the OS did not say"; a holder with null pid means a socket was found but its process
 * could not be read (another user's, without the rights to look).
 */
import { execFile } from 'node:child_process'
import { readdir, readFile, readlink } from 'node:fs/promises'
import type { PortHolder } from '../../shared/desktop-api'

/** /proc/net/tcp state code of a listening socket. */
const TCP_LISTEN = '0A'
const COMMAND_TIMEOUT_MS = 3000

export async function findPortHolder(port: number): Promise<PortHolder | null> {
  try {
    if (process.platform === 'linux') {
      const fromProc = await fromProcFs(port)
      if (fromProc) return fromProc
    }
    if (process.platform === 'win32') return await fromNetstat(port)
    return await fromLsof(port)
  } catch {
    return null
  }
}

/** The inodes of sockets listening on `port`, from the text of /proc/net/tcp or tcp6. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = []
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    if (fields.length < 10) continue
    const local = fields[1]
    const localPort = Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16)
    if (localPort === port && fields[3] === TCP_LISTEN && fields[9] !== '0') inodes.push(fields[9])
  }
  return inodes
}

async function fromProcFs(port: number): Promise<PortHolder | null> {
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')))
  const inodes = new Set(tables.flatMap((table) => listeningInodes(table, port)))
  if (inodes.size === 0) return null
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`))
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name))
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = await readdir(`/proc/${pid}/fd`)
    } catch {
      continue // gone, or not ours to read
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
      if (wanted.has(target)) {
        const command = (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim() || null
        return { pid: Number(pid), command }
      }
    }
  }
  return { pid: null, command: null }
}

/** `lsof -Fpc` output: lines `p<pid>` and `c<command>`. */
export function parseLsof(output: string): PortHolder | null {
  let pid: number | null = null
  let command: string | null = null
  for (const line of output.split('\n')) {
    if (line.startsWith('p') && pid === null) pid = Number(line.slice(1)) || null
    else if (line.startsWith('c') && command === null) command = line.slice(1) || null
  }
  return pid === null && command === null ? null : { pid, command }
}

async function fromLsof(port: number): Promise<PortHolder | null> {
  const output = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'])
  return output === null ? null : parseLsof(output)
}

/** The PID listening on `port` in `netstat -ano -p tcp` output (Windows). */
export function parseNetstat(output: string, port: number): number | null {
  for (const line of output.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 5 || fields[0].toUpperCase() !== 'TCP' || fields[3].toUpperCase() !== 'LISTENING') continue
    if (Number(fields[1].slice(fields[1].lastIndexOf(':') + 1)) === port) return Number(fields[4]) || null
  }
  return null
}

async function fromNetstat(port: number): Promise<PortHolder | null> {
  const output = await run('netstat', ['-ano', '-p', 'tcp'])
  const pid = output === null ? null : parseNetstat(output, port)
  if (pid === null) return null
  // "image.exe","1234",… ; the name is a nicety: the pid alone still says who.
  const task = await run('tasklist', ['/FI', `PID eq ${pid}`, '/FO', 'CSV', '/NH'])
  const command = task ? (/^"([^"]+)"/.exec(task.trim())?.[1] ?? null) : null
  return { pid, command }
}

/** stdout of a command, or null when it is missing, fails or takes too long. */
function run(command: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, windowsHide: true }, (error, stdout) => {
      // lsof exits 1 when nothing matched: then there is no holder to name.
      resolve(error && !stdout ? null : stdout)
    })
  })
}
