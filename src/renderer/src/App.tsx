import type { JSX } from 'react'

export function App(): JSX.Element {
  // The preload is absent when the page is opened in a plain browser.
  const version = typeof window.brokerscope === 'object' ? window.brokerscope.version : undefined
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: '2rem' }}>
      <h1>BrokerScope</h1>
      <p>The live inspector is coming soon.</p>
      {version ? <p>Version {version}</p> : null}
    </main>
  )
}
