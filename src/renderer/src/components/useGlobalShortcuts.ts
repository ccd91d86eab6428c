import { useEffect } from 'react'
import { viewForDigit, viewForGoKey } from '../lib/views'
import { useUiStore } from '../store/ui-store'

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  if (target.isContentEditable) return true
  const tag = target.tagName
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type)
  }
  return false
}

/** Alt+1…9, Alt+0 and "g then letter" switch views; "/" focuses the view's filter; "?" toggles help. */
export function useGlobalShortcuts(): void {
  useEffect(() => {
    let goPendingUntil = 0
    const onKey = (event: KeyboardEvent): void => {
      if (event.defaultPrevented) return
      const ui = useUiStore.getState()
      // Alt+digit works everywhere, even while typing. event.code: Alt changes event.key on macOS.
      if (event.altKey && !event.ctrlKey && !event.metaKey && /^Digit[0-9]$/.test(event.code)) {
        const view = viewForDigit(event.code.slice(5))
        if (view) {
          event.preventDefault()
          ui.setView(view)
        }
        return
      }
      if (event.key === 'Escape' && ui.helpOpen) {
        ui.setHelpOpen(false)
        return
      }
      if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return
      const now = Date.now()
      if (goPendingUntil > now) {
        goPendingUntil = 0
        const view = viewForGoKey(event.key)
        if (view) {
          event.preventDefault()
          ui.setView(view)
          return
        }
      }
      if (event.key === 'g') {
        goPendingUntil = now + 1500
        return
      }
      if (event.key === '?') {
        event.preventDefault()
        ui.setHelpOpen(!ui.helpOpen)
        return
      }
      if (event.key === '/') {
        const input = document.querySelector<HTMLInputElement>('main [data-filter-input]')
        if (input) {
          event.preventDefault()
          input.focus()
          input.select()
        }
      }
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
