import { useCallback, useEffect, useRef, useState, type JSX } from 'react'

export interface ActionMessageState {
  ok: boolean
  text: string
}

/** A short-lived line saying what an action did (or why it failed). */
export function useActionMessage(): [ActionMessageState | null, (ok: boolean, text: string) => void] {
  const [message, setMessage] = useState<ActionMessageState | null>(null)
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const show = useCallback((ok: boolean, text: string) => {
    if (timer.current) clearTimeout(timer.current)
    setMessage({ ok, text })
    timer.current = setTimeout(() => setMessage(null), ok ? 4000 : 10000)
  }, [])
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
    },
    []
  )
  return [message, show]
}

export function ActionMessage({ message }: { message: ActionMessageState | null }): JSX.Element {
  return (
    <div
      className={`action-message ${message ? (message.ok ? 'ok' : 'error') : ''}`}
      role="status"
      aria-live="polite"
      data-testid="action-message"
    >
      {message?.text ?? ''}
    </div>
  )
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
