import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RotatingLogFile } from '../../src/main/logging/rotating-log-file'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'brokerscope-log-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const line = (n: number): string => `line ${String(n).padStart(4, '0')} ${'x'.repeat(89)}` // 100 bytes with the newline

describe('RotatingLogFile', () => {
  it('appends lines, creating the folder, and rotates to .1 … .keep before passing maxBytes', () => {
    const path = join(dir, 'logs', 'brokerscope.log')
    const log = new RotatingLogFile(path, { maxBytes: 1000, keep: 2 })
    for (let n = 0; n < 35; n++) log.write(line(n))
    log.close()
    // 10 lines per file: 30-34 now, 20-29 in .1, 10-19 in .2, 0-9 deleted.
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(5)
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('line 0020')
    expect(readFileSync(`${path}.2`, 'utf8')).toContain('line 0010')
    expect(existsSync(`${path}.3`)).toBe(false)
    for (const file of [path, `${path}.1`, `${path}.2`]) expect(statSync(file).size).toBeLessThanOrEqual(1000)
    expect(log.rotations).toBe(3)
    expect(log.writeFailures).toBe(0)
  })

  it('continues an existing file after a restart, counting its size', () => {
    const path = join(dir, 'brokerscope.log')
    const first = new RotatingLogFile(path, { maxBytes: 1000, keep: 1 })
    for (let n = 0; n < 8; n++) first.write(line(n))
    first.close()
    const second = new RotatingLogFile(path, { maxBytes: 1000, keep: 1 })
    for (let n = 8; n < 11; n++) second.write(line(n))
    second.close()
    expect(second.rotations).toBe(1)
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('line 0000')
    expect(readFileSync(path, 'utf8')).toBe(`${line(10)}\n`)
  })

  it('keep 0 truncates instead of keeping old files; new bounds apply from the next line', () => {
    const path = join(dir, 'brokerscope.log')
    const log = new RotatingLogFile(path, { maxBytes: 1000, keep: 0 })
    for (let n = 0; n < 12; n++) log.write(line(n))
    expect(existsSync(`${path}.1`)).toBe(false)
    expect(readFileSync(path, 'utf8')).toBe(`${line(10)}\n${line(11)}\n`)
    log.configure({ maxBytes: 250, keep: 1 })
    log.write(line(12))
    expect(existsSync(`${path}.1`)).toBe(true)
    log.close()
  })

  it('counts a write it cannot make and never throws', () => {
    const path = join(dir, 'taken')
    mkdirSync(path) // a folder where the file should be
    const log = new RotatingLogFile(path, { maxBytes: 1000, keep: 1 })
    expect(() => log.write('lost')).not.toThrow()
    expect(() => log.write('lost too')).not.toThrow()
    expect(log.writeFailures).toBe(2)
  })
})
