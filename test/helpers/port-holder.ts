import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'

/** Resolves once a TCP connection to 127.0.0.1:`port` gets through; throws after `timeoutMs`. */
export async function waitUntilListening(port: number, timeoutMs: number, what = 'nothing'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (up) return
    if (Date.now() > deadline) throw new Error(`${what} listened on ${port} within ${timeoutMs / 1000} s`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A separate Node process (so not the one under test) listening on 127.0.0.1:`port` until killed. */
export async function holdPortInNode(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1')`], { stdio: 'ignore' })
  try {
    await waitUntilListening(port, 5000, 'no holder')
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  return child
}
