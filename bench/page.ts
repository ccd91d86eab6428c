/**
 * A real inspector page for the benchmark: Debian's Chromium through Playwright, started from the
 * generator process. The broker always keeps its own core: on a machine with a third core the
 * browser gets that one (`taskset` through a wrapper script); otherwise it runs on the generator's
 * core (the generator's affinity is inherited), and the figures say so. It opens the UI with the
 * token and either goes to Topics, selects a topic and charts it (or a JSON path in it) live, or
 * goes to Traffic and follows the live log, as a person would.
 *
 * Input latency ("click to paint"): for each click the page records the time from the input
 * event's timestamp to the end of the next frame (requestAnimationFrame, then a task after it, so
 * the frame the click produced has been painted). The JS heap comes from the DevTools protocol
 * (Performance.getMetrics, JSHeapUsedSize).
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test'
import type { PageSpec } from './scenarios'

/** The core the browser gets when the machine has one beyond the broker's (0) and the generator's (1). */
const BROWSER_CPU = 2
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * The browser executable: Chromium itself, or a wrapper that pins it (and every process it starts)
 * to BROWSER_CPU when there is such a core and taskset. Says where it runs, for the report.
 */
function browserExecutable(): { path: string; placement: string; cleanup: () => void } {
  // All the machine's cores: the generator itself is pinned to one, so its own affinity says 1.
  const cores = cpus().length
  const taskset = spawnSync('sh', ['-c', 'command -v taskset']).status === 0
  if (cores <= BROWSER_CPU || !taskset) {
    return {
      path: CHROMIUM,
      placement: `browser on the generator's core (${cores} cores: none left for it${taskset ? '' : ', no taskset'})`,
      cleanup: () => {}
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-chromium-'))
  const wrapper = join(dir, 'chromium')
  writeFileSync(wrapper, `#!/bin/sh\nexec taskset -c ${BROWSER_CPU} ${CHROMIUM} "$@"\n`)
  chmodSync(wrapper, 0o755)
  return { path: wrapper, placement: `browser pinned to core ${BROWSER_CPU}`, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface InspectorPage {
  page: Page
  /** Where the browser runs (its own core, or the generator's). */
  placement: string
  /** Traffic rows the page shows (the Traffic view). */
  trafficRowsShown(): Promise<number>
  /** CPU time (ms) the browser's processes have used so far: every process started under the generator. */
  browserCpuMs(): number
  /** JSHeapUsedSize in bytes. */
  heapBytes(): Promise<number>
  /** Click a visible tree row (alternating between the first rows); resolves with nothing, the latency is collected in the page. */
  click(index: number): Promise<void>
  /** The click-to-paint latencies collected so far (ms), and forget them. */
  takeLatencies(): Promise<number[]>
  /** Points the chart holds (for the report: the chart was live). */
  chartPoints(): Promise<number>
  close(): Promise<void>
}

declare global {
  interface Window {
    __latencies?: number[]
  }
}

export async function openInspectorPage(ui: { port: number; token: string }, spec: PageSpec): Promise<InspectorPage> {
  const executable = browserExecutable()
  const browser: Browser = await chromium.launch({
    executablePath: executable.path,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking']
  })
  browser.on('disconnected', executable.cleanup)
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await page.addInitScript(() => {
      window.__latencies = []
      window.addEventListener(
        'click',
        (event) => {
          const start = event.timeStamp
          requestAnimationFrame(() => {
            setTimeout(() => window.__latencies?.push(performance.now() - start), 0)
          })
        },
        { capture: true }
      )
    })
    await page.goto(`http://127.0.0.1:${ui.port}/?token=${encodeURIComponent(ui.token)}`)
    await page.getByTestId('connection-status').getByText('Connected').waitFor({ timeout: 20_000 })
    if (spec.view === 'traffic') {
      await page.getByTestId('nav-traffic').click()
      await page.getByTestId('traffic-table').locator('.traffic-body [role="row"]').first().waitFor({ timeout: 20_000 })
      return inspectorPage(browser, page, executable.placement)
    }
    await page.getByTestId('nav-topics').click()
    await page.getByLabel('Filter topics').fill(spec.topic)
    const row = page.locator(`[role="treeitem"][data-path="${spec.topic}"]`)
    await row.waitFor({ timeout: 20_000 })
    // The filter stays: the selected topic must stay in view for its panel to show.
    await row.click()
    await page.getByRole('tab', { name: 'Chart' }).click()
    await page.getByLabel('JSON path').fill(spec.path)
    await page.getByRole('button', { name: 'Add series' }).click()
    await page.getByTestId('live-chart').locator('canvas').first().waitFor({ timeout: 10_000 })
    return inspectorPage(browser, page, executable.placement)
  } catch (error) {
    await browser.close()
    throw error
  }
}

async function inspectorPage(browser: Browser, page: Page, placement: string): Promise<InspectorPage> {
  const cdp: CDPSession = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  return {
    page,
    placement,
    browserCpuMs: () => descendantCpuMs(process.pid),
    trafficRowsShown: async () => {
      const text = (await page.getByTestId('traffic-count').textContent()) ?? ''
      return Number(/Showing ([\d,]+)/.exec(text)?.[1].replace(/,/g, '') ?? Number.NaN)
    },
    heapBytes: async () => {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }
      return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN
    },
    click: async (index) => {
      const rows = page.locator('[role="treeitem"]')
      const count = await rows.count()
      if (count === 0) return
      await rows.nth(index % Math.min(count, 20)).click({ timeout: 5_000 })
    },
    takeLatencies: () =>
      page.evaluate(() => {
        const out = window.__latencies ?? []
        window.__latencies = []
        return out
      }),
    chartPoints: async () => {
      const text = (await page.getByTestId('chart-series').first().textContent()) ?? ''
      return Number(/([\d,]+) points/.exec(text)?.[1].replace(/,/g, '') ?? Number.NaN)
    },
    close: () => browser.close()
  }
}

/** utime + stime (ms) of every descendant of `root` (the browser and its renderers; /proc ticks of 10 ms). */
function descendantCpuMs(root: number): number {
  const parents = new Map<number, number>()
  const cpu = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')
      parents.set(Number(name), Number(fields[1]))
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // Gone meanwhile.
    }
  }
  let total = 0
  for (const [pid, ms] of cpu) {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        total += ms
        break
      }
    }
  }
  return total
}
