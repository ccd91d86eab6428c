/**
 * A real inspector page for the benchmark: Debian's Chromium through Playwright, started from the
 * generator process, so it runs on the generator's core (taskset's affinity is inherited) and the
 * broker keeps its own core. It opens the UI with the token, goes to Topics, selects a topic and
 * charts it (or a JSON path in it) live, as a person would.
 *
 * Input latency ("click to paint"): for each click the page records the time from the input
 * event's timestamp to the end of the next frame (requestAnimationFrame, then a task after it, so
 * the frame the click produced has been painted). The JS heap comes from the DevTools protocol
 * (Performance.getMetrics, JSHeapUsedSize).
 */
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test'
import type { PageSpec } from './scenarios'

export interface InspectorPage {
  page: Page
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
  const browser: Browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking']
  })
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
    const cdp: CDPSession = await page.context().newCDPSession(page)
    await cdp.send('Performance.enable')
    return {
      page,
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
  } catch (error) {
    await browser.close()
    throw error
  }
}
