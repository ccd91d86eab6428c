import type { JSX } from 'react'
import { NONE, useInspectorStore } from '../store/inspector-store'

/**
 * For views only the local broker can fill (Clients, Subscriptions): while remote brokers are
 * inspected, say that their clients and subscriptions cannot be seen from here. MQTT gives a client
 * no way to list another broker's clients or subscriptions.
 */
export function LocalOnlyNotice({ what }: { what: string }): JSX.Element | null {
  const remotes = useInspectorStore((s) => s.data?.bridges ?? NONE).filter((b) => b.config.kind === 'inspect')
  if (remotes.length === 0) return null
  return (
    <p className="banner banner-info local-only-notice" role="note" data-testid="local-only-notice">
      This view shows the local broker only. The {what} of {remotes.map((r) => r.config.name).join(', ')} cannot be seen over MQTT: what
      they carry is in Topics, Traffic, Retained and the Dashboard.
    </p>
  )
}
