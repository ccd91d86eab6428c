import { useEffect, useRef, type JSX } from 'react'
import { SHORTCUTS } from '../lib/views'
import { useUiStore } from '../store/ui-store'

/** The "?" button: hover or focus shows the keyboard shortcuts; click or "?" pins them open. */
export function HelpTooltip(): JSX.Element {
  const open = useUiStore((s) => s.helpOpen)
  const setOpen = useUiStore((s) => s.setHelpOpen)
  const ref = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent): void => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false)
    }
    window.addEventListener('pointerdown', onPointer)
    return () => window.removeEventListener('pointerdown', onPointer)
  }, [open, setOpen])

  return (
    <div className={`help${open ? ' help-open' : ''}`} ref={ref}>
      <button
        type="button"
        className="small help-button"
        aria-label="Keyboard shortcuts"
        aria-describedby="help-tooltip"
        aria-expanded={open}
        aria-keyshortcuts="?"
        onClick={() => setOpen(!open)}
      >
        ?
      </button>
      <div id="help-tooltip" role="tooltip" className="help-tooltip">
        <strong>Keyboard shortcuts</strong>
        <table>
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.keys}>
                <th scope="row">
                  <kbd>{s.keys}</kbd>
                </th>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}
