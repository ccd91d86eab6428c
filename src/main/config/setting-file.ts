/**
 * Reading a file that a setting names (authFile, certFile, keyFile, caFile, and the files later
 * settings add): only a regular file, only up to a size cap (the maxSettingFileSize setting), and
 * never blocking the event loop. A settings update can come from the UI or the management API, so
 * a path such as a FIFO (which would block a synchronous read forever: no CONNACK, no HTTP, no
 * signal handling) or /dev/zero (which would fill memory) must be refused, not read.
 *
 * The file is opened non-blocking (a FIFO opens at once instead of waiting for a writer), then
 * checked with fstat on the open descriptor (no window between check and read), then read in
 * chunks up to the cap through fs.promises (libuv's thread pool).
 *
 * Failures come in two forms: `detail` for the broker log and the operator's terminal (it names
 * the path and the OS error), and `summary` for replies to the UI or the API, which says only what
 * kind of problem it is and never what the file holds (or, for a missing file, that it is missing).
 */
import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

export type SettingFileProblem = 'missing' | 'unreadable' | 'not-regular' | 'too-large'

export type SettingFileResult =
  | { ok: true; data: Buffer }
  | { ok: false; problem: SettingFileProblem; summary: string; detail: string; code?: string }

/** O_NONBLOCK: opening a FIFO must not wait for a writer. Not defined on Windows (no FIFOs there). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)
const CHUNK_BYTES = 64 * 1024

/** Read `path` if it is a regular file of at most `maxBytes`; never throws. */
export async function readSettingFile(path: string, maxBytes: number): Promise<SettingFileResult> {
  let handle: FileHandle
  try {
    handle = await open(path, OPEN_FLAGS)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : err instanceof Error
              ? err.message
              : String(err)
    return {
      ok: false,
      problem: code === 'ENOENT' ? 'missing' : 'unreadable',
      summary: 'cannot be read: see the broker log',
      detail: `${path}: ${why}`,
      code
    }
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) {
      const kind = info.isDirectory()
        ? 'a directory'
        : info.isFIFO()
          ? 'a FIFO'
          : info.isCharacterDevice() || info.isBlockDevice()
            ? 'a device'
            : info.isSocket()
              ? 'a socket'
              : 'not a file'
      return { ok: false, problem: 'not-regular', summary: 'not a regular file', detail: `${path}: not a regular file (${kind})` }
    }
    const tooLarge = (what: string): SettingFileResult => ({
      ok: false,
      problem: 'too-large',
      summary: `larger than maxSettingFileSize (${maxBytes} bytes)`,
      detail: `${path}: ${what} than maxSettingFileSize (${maxBytes} bytes)`
    })
    if (info.size > maxBytes) return tooLarge(`${info.size} bytes is larger`)
    // The file may grow while it is read: read at most one byte past the cap, then stop.
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const want = Math.min(CHUNK_BYTES, maxBytes + 1 - total)
      const chunk = Buffer.allocUnsafe(want)
      const { bytesRead } = await handle.read(chunk, 0, want, null)
      if (bytesRead === 0) break
      chunks.push(bytesRead === want ? chunk : chunk.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) return tooLarge('it grew while being read to more')
    }
    return { ok: true, data: Buffer.concat(chunks, total) }
  } catch (err) {
    return {
      ok: false,
      problem: 'unreadable',
      summary: 'cannot be read: see the broker log',
      detail: `${path}: ${err instanceof Error ? err.message : String(err)}`
    }
  } finally {
    await handle.close().catch(() => {})
  }
}
