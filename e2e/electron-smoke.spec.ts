import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test, expect, _electron as electron } from '@playwright/test'

const projectRoot = resolve(import.meta.dirname, '..')

/**
 * Where the Electron binary is, or null when it is not installed. Deliberately does not
 * `require('electron')`: that triggers a download attempt, which cannot succeed on this machine.
 */
function electronBinary(): string | null {
  const pkgDir = join(projectRoot, 'node_modules', 'electron')
  const pathFile = join(pkgDir, 'path.txt')
  if (!existsSync(pathFile)) return null
  const relative = readFileSync(pathFile, 'utf8').trim()
  if (!relative) return null
  const binary = join(pkgDir, 'dist', relative)
  return existsSync(binary) ? binary : null
}

test('the Electron app opens a window titled BrokerScope', async () => {
  const executablePath = electronBinary()
  if (!executablePath) {
    const reason = 'Electron binary not installed on this machine (it cannot be downloaded here); smoke test skipped'
    console.log(reason)
    test.skip(true, reason)
    return
  }

  const mainEntry = join(projectRoot, 'out', 'main', 'index.js')
  expect(existsSync(mainEntry), `${mainEntry} missing: run \`npx electron-vite build\` first`).toBe(true)

  const app = await electron.launch({ executablePath, args: [mainEntry], cwd: projectRoot })
  try {
    const window = await app.firstWindow()
    await window.waitForLoadState('domcontentloaded')
    expect(await window.title()).toBe('BrokerScope')
  } finally {
    await app.close()
  }
})
