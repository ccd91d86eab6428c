import { defineConfig } from '@playwright/test'
import type { Transport } from './e2e/fixtures'

/**
 * Specs that exist only for the headless shell: the inspector's HTTP/WebSocket server (token,
 * Origin) and browser MQTT clients on the WebSocket listener, with its Origin check (the same
 * broker code in both shells: run once; ws-origin also needs its own Chromium host rule).
 */
export const HEADLESS_ONLY_SPECS = ['ui-security.spec.ts', 'mqtt-browser.spec.ts', 'ws-origin.spec.ts', 'first-hour-headless.spec.ts']
/** Specs of the desktop app itself: menus, tray, port in use, the app data folder, IPC senders; and the real-binary smoke test. */
export const ELECTRON_ONLY_SPECS = ['desktop-*.spec.ts', 'electron-smoke.spec.ts']

// No Playwright-managed browsers here: use Debian's chromium (apt-get install -y chromium).
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default defineConfig<{ transport: Transport }>({
  testDir: 'e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  use: {
    // One size for every screenshot in docs/screenshots.
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    trace: 'retain-on-failure',
    launchOptions: { executablePath, args: chromiumArgs }
  },
  // Every journey on both transports (e2e/fixtures.ts): the page over the headless app's
  // WebSocket, and the same page as the desktop app's window over IPC (the Electron entry on the
  // Electron fake, the real preload; e2e/desktop-app.ts).
  projects: [
    {
      name: 'headless',
      testIgnore: ELECTRON_ONLY_SPECS,
      use: { transport: 'headless' }
    },
    {
      name: 'electron',
      testIgnore: HEADLESS_ONLY_SPECS,
      use: {
        transport: 'electron',
        // Electron lets its file: page load its module scripts; plain Chromium needs to be told.
        launchOptions: { executablePath, args: [...chromiumArgs, '--allow-file-access-from-files'] }
      }
    }
  ]
  // No webServer: each browser test starts its own app on free ports (e2e/fixtures.ts).
})
