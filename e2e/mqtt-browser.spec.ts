/**
 * MQTT.js running in a real browser (Chromium) connects to the broker's WebSocket listener, the way
 * a web dashboard would: subscribe, publish, receive — over MQTT 3.1.1 and 5.
 */
import { test as base } from '@playwright/test'
import { expect, startBroker, type RunningBroker } from './fixtures'
import { startWebSite } from './web-site'

const test = base.extend<{ broker: RunningBroker }>({
  broker: async ({}, use) => {
    const broker = await startBroker(['--sys-interval', '0'])
    await use(broker)
    await broker.stop()
  }
})

for (const protocolVersion of [4, 5] as const) {
  test(`MQTT.js in Chromium connects over WebSocket and round-trips a message (MQTT ${protocolVersion === 5 ? '5' : '3.1.1'})`, async ({
    page,
    broker
  }) => {
    // A web app's page on a local dev server: loopback origins may use the WebSocket listener (other
    // sites may not: e2e/ws-origin.spec.ts). It has no CSP of ours.
    const site = await startWebSite('browser client')
    await page.goto(`http://localhost:${site.port}/`)
    const received = await page.evaluate(
      async ({ url, protocolVersion }) => {
        const mqtt = (globalThis as unknown as { mqtt: typeof import('mqtt') }).mqtt
        const client = await mqtt.connectAsync(url, { protocolVersion, clientId: `browser-${protocolVersion}`, reconnectPeriod: 0 })
        const message = new Promise<{ topic: string; payload: string; qos: number }>((resolve) =>
          client.on('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos }))
        )
        await client.subscribeAsync('browser/+/echo', { qos: 1 })
        await client.publishAsync('browser/chromium/echo', 'hello from the browser', { qos: 1 })
        const result = await message
        await client.endAsync()
        return result
      },
      { url: `ws://127.0.0.1:${broker.wsPort}/mqtt`, protocolVersion }
    )
    await site.close()
    expect(received).toEqual({ topic: 'browser/chromium/echo', payload: 'hello from the browser', qos: 1 })
  })
}
