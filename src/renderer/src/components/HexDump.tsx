import { useVirtualizer } from '@tanstack/react-virtual'
import { useRef, type JSX } from 'react'
import { HEX_LINE_CHARS, HEX_ROW_BYTES, hexDumpLine } from '../lib/payload'

const ROW_HEIGHT = 18

/**
 * A hex dump that stays fast for large payloads: one line per 16 bytes, never wrapped (the view
 * scrolls sideways when it is narrower than a line), and only the lines in view exist in the page,
 * each built when it is shown. A 200 KB payload is 12,800 lines; about 25 are rendered.
 */
export function HexDump({ bytes }: { bytes: Uint8Array }): JSX.Element {
  const scrollRef = useRef<HTMLDivElement>(null)
  const lines = Math.ceil(bytes.length / HEX_ROW_BYTES)
  const virtualizer = useVirtualizer({
    count: lines,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialRect: { width: 600, height: 360 }
  })
  return (
    <div
      ref={scrollRef}
      className="payload-text hex-view"
      role="region"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a long payload scrolls, so the keyboard must reach it
      tabIndex={0}
      aria-label="Payload content"
      data-testid="hex-dump"
      data-lines={lines}
    >
      <div className="hex-lines" style={{ height: virtualizer.getTotalSize(), width: `${HEX_LINE_CHARS + 1}ch` }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div key={item.index} className="hex-line" style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}>
            {hexDumpLine(bytes, item.index * HEX_ROW_BYTES)}
          </div>
        ))}
      </div>
    </div>
  )
}
