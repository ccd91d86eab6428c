/**
 * The inspector's WebSocket (/api) needs the token AND the page's own origin; anything else is
 * refused before the upgrade with HTTP 403. Checked with `ws` from Node against the real server.
 */
import { WebSocket } from 'ws'
import { expect, test } from './fixtures'

/** 'open' when the upgrade succeeded, else the HTTP status of the refusal. */
function tryUpgrade(url: string, origin: string | undefined): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin })
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`no answer to the upgrade of ${url}`))
    }, 5_000)
    ws.once('open', () => {
      clearTimeout(timer)
      ws.close()
      resolve('open')
    })
    ws.once('unexpected-response', (_request, response) => {
      clearTimeout(timer)
      resolve(response.statusCode ?? -1)
      response.resume()
      ws.terminate()
    })
    ws.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

test('the UI WebSocket refuses other origins and missing or wrong tokens with 403', async ({ broker }) => {
  const api = `ws://127.0.0.1:${broker.uiPort}/api`
  const withToken = `${api}?token=${broker.token}`

  // Control: the page's own origin with the token gets in.
  expect(await tryUpgrade(withToken, broker.uiOrigin)).toBe('open')
  expect(await tryUpgrade(withToken, `http://localhost:${broker.uiPort}`)).toBe('open')

  // Another origin, even with the right token.
  expect(await tryUpgrade(withToken, 'http://evil.example')).toBe(403)
  expect(await tryUpgrade(withToken, `http://127.0.0.1:${broker.uiPort + 1}`)).toBe(403)
  // No Origin header at all (not a browser, but still not allowed).
  expect(await tryUpgrade(withToken, undefined)).toBe(403)
  // The right origin without the token, with an empty one, or with a wrong one.
  expect(await tryUpgrade(api, broker.uiOrigin)).toBe(403)
  expect(await tryUpgrade(`${api}?token=`, broker.uiOrigin)).toBe(403)
  expect(await tryUpgrade(`${api}?token=${broker.token.slice(0, -1)}x`, broker.uiOrigin)).toBe(403)
})

test('a page opened without the token cannot connect to the broker', async ({ page, broker }) => {
  await page.goto(`http://127.0.0.1:${broker.uiPort}/`)
  // It says why (issue 15 bug 3) instead of retrying.
  await expect(page.getByTestId('connection-refused')).toBeVisible({ timeout: 15_000 })
  await expect(page.getByTestId('connection-status')).not.toHaveText('Connected')
})
