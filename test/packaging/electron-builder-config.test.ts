/**
 * The installer configuration (electron-builder.json). Building installers needs the Electron
 * binary, which cannot be downloaded here; what can be checked is that electron-builder itself
 * accepts the file (its own schema validation), that the fuses harden the build, that every target
 * is there with an icon of the right format, and that the packed files hold what the app loads.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util/out/DebugLogger'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const config = JSON.parse(readFileSync(join(root, 'electron-builder.json'), 'utf8'))
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file)
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

describe('electron-builder.json', () => {
  it('is accepted by electron-builder’s own validation', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
  })

  it('rejects a misspelt key (the validation can fail)', async () => {
    await expect(validateConfiguration({ ...config, electronFuse: {} }, new DebugLogger(false))).rejects.toThrow(/electronFuse/)
  })

  it('sets the hardening fuses: no RunAsNode, no NODE_OPTIONS, no --inspect, the app only from the (validated) asar', () => {
    expect(config.asar).toBe(true)
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true
    })
  })

  it('builds AppImage and deb, dmg, and NSIS, each with its icon from resources/', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb'])
    expect(config.mac.target).toEqual(['dmg'])
    expect(config.win.target).toEqual(['nsis'])
    expect(config.directories.buildResources).toBe('resources')

    const png = pngSize(join(root, config.linux.icon))
    // electron-builder wants at least 512×512 for Linux (and to derive the others).
    expect(png.width).toBeGreaterThanOrEqual(512)
    expect(png.height).toBe(png.width)
    expect(readFileSync(join(root, config.mac.icon)).subarray(0, 4).toString('latin1')).toBe('icns')
    const ico = readFileSync(join(root, config.win.icon))
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1])
    // The ICO holds a 256 px image (width byte 0 means 256), as Windows installers want.
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + 16 * i] || 256)
    expect(sizes).toContain(256)
  })

  it('packs what the app loads at run time: the built main, preload, renderer, the tray icons; the README beside them', () => {
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**', 'resources/**']))
    for (const icon of ['tray.png', 'tray@2x.png', 'trayTemplate.png', 'trayTemplate@2x.png']) {
      expect(existsSync(join(root, 'resources', icon)), icon).toBe(true)
    }
    expect(pngSize(join(root, 'resources', 'tray.png'))).toEqual({ width: 16, height: 16 })
    expect(pngSize(join(root, 'resources', 'trayTemplate@2x.png'))).toEqual({ width: 32, height: 32 })
    expect(config.extraResources).toEqual([{ from: 'README.md', to: 'README.md' }])
    expect(packageJson.main).toBe('out/main/index.js')
  })

  it('is what `npm run dist` runs, after a build', () => {
    expect(packageJson.scripts.dist).toBe('electron-vite build && electron-builder --publish never')
    expect(packageJson.devDependencies['electron-builder']).toBeDefined()
  })
})
