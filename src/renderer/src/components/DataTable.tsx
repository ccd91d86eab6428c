import {
  flexRender,
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type RowData,
  type SortingState,
  type VisibilityState
} from '@tanstack/react-table'
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useMemo, useRef, useState, type JSX, type KeyboardEvent } from 'react'

declare module '@tanstack/react-table' {
  interface ColumnMeta<TData extends RowData, TValue> {
    /**
     * 1 (or none): always shown. Higher: hidden first, highest first, when the table is narrower
     * than its columns, so the ones that matter (an id, a status, the actions) never scroll away.
     */
    priority?: number
    /** The column's name where its header is not plain text (for the "hidden to fit" note). */
    label?: string
  }
}

export interface DataTableProps<T> {
  /** Accessible name of the table. */
  label: string
  data: readonly T[]
  // Column value types differ per column; react-table's own examples use `any` here.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  columns: ColumnDef<T, any>[]
  getRowId: (row: T) => string
  /** Text a row is searched by; rows not containing the (case-insensitive) filter are hidden. */
  searchText?: (row: T) => string
  filter?: string
  initialSorting?: SortingState
  onRowActivate?: (row: T) => void
  selectedRowId?: string | null
  emptyText: string
  testId?: string
}

const ROW_HEIGHT = 28

/**
 * A sortable table (react-table) with a text filter, virtualized with spacer rows so thousands of
 * rows stay cheap while it remains a real <table> for screen readers and tests.
 */
export function DataTable<T>(props: DataTableProps<T>): JSX.Element {
  const { data, filter = '', searchText } = props
  const [sorting, setSorting] = useState<SortingState>(props.initialSorting ?? [])
  const filtered = useMemo(() => {
    const needle = filter.trim().toLowerCase()
    if (!needle || !searchText) return data as T[]
    return data.filter((row) => searchText(row).toLowerCase().includes(needle))
  }, [data, filter, searchText])

  const scrollRef = useRef<HTMLDivElement>(null)
  const width = useWidth(scrollRef)
  const columnVisibility = useMemo(() => fitColumns(props.columns, width), [props.columns, width])

  const table = useReactTable<T>({
    data: filtered,
    columns: props.columns,
    state: { sorting, columnVisibility },
    onSortingChange: setSorting,
    getRowId: (row) => props.getRowId(row),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel()
  })
  const rows = table.getRowModel().rows
  const hidden = props.columns.filter((c) => columnVisibility[columnId(c)] === false).map((c) => columnLabel(c))

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 1000, height: 600 }
  })
  const items = virtualizer.getVirtualItems()
  const paddingTop = items.length > 0 ? items[0].start : 0
  const paddingBottom = items.length > 0 ? virtualizer.getTotalSize() - items[items.length - 1].end : 0
  const totalWidth = table.getVisibleLeafColumns().reduce((sum, c) => sum + c.getSize(), 0)
  const columnCount = table.getVisibleLeafColumns().length

  const activate = props.onRowActivate
  const onRowKey = (event: KeyboardEvent<HTMLTableRowElement>, row: T): void => {
    if (!activate || event.target !== event.currentTarget) return
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault()
      activate(row)
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      const next = (
        event.key === 'ArrowDown' ? event.currentTarget.nextElementSibling : event.currentTarget.previousElementSibling
      ) as HTMLElement | null
      if (next && next.tabIndex >= 0) next.focus()
    }
  }

  return (
    <div className="table-scroll" ref={scrollRef} data-testid={props.testId}>
      <table className="data-table" aria-label={props.label} aria-rowcount={rows.length + 1} style={{ minWidth: totalWidth }}>
        <colgroup>
          {table.getVisibleLeafColumns().map((column) => (
            <col key={column.id} style={{ width: column.getSize() }} />
          ))}
        </colgroup>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const sorted = header.column.getIsSorted()
                const canSort = header.column.getCanSort()
                const content = flexRender(header.column.columnDef.header, header.getContext())
                return (
                  <th key={header.id} scope="col" aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}>
                    {canSort ? (
                      <button type="button" className="sort-button" onClick={header.column.getToggleSortingHandler()}>
                        {content}
                        <span className="sort-mark" aria-hidden="true">
                          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : ''}
                        </span>
                      </button>
                    ) : (
                      content
                    )}
                  </th>
                )
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {paddingTop > 0 && (
            // biome-ignore lint/a11y/noAriaHiddenOnFocusable: a virtualization spacer row holds no content
            <tr aria-hidden="true" className="spacer">
              <td colSpan={columnCount} style={{ height: paddingTop }} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index]
            const selected = props.selectedRowId === row.id
            return (
              <tr
                key={row.id}
                data-row-id={row.id}
                className={selected ? 'selected' : undefined}
                aria-selected={activate ? selected : undefined}
                aria-rowindex={item.index + 2}
                tabIndex={activate ? 0 : undefined}
                onClick={activate ? () => activate(row.original) : undefined}
                onKeyDown={activate ? (event) => onRowKey(event, row.original) : undefined}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            )
          })}
          {paddingBottom > 0 && (
            // biome-ignore lint/a11y/noAriaHiddenOnFocusable: a virtualization spacer row holds no content
            <tr aria-hidden="true" className="spacer">
              <td colSpan={columnCount} style={{ height: paddingBottom }} />
            </tr>
          )}
        </tbody>
      </table>
      {rows.length === 0 && <p className="empty">{data.length === 0 ? props.emptyText : 'No rows match the filter.'}</p>}
      {hidden.length > 0 && (
        <p className="columns-hidden" data-testid="columns-hidden">
          Hidden to fit: {hidden.join(', ')} (a wider window shows them)
        </p>
      )}
    </div>
  )
}

// biome-ignore lint/suspicious/noExplicitAny: column value types differ per column (as in DataTableProps)
type AnyColumn<T> = ColumnDef<T, any>

function columnId<T>(column: AnyColumn<T>): string {
  const c = column as { id?: string; accessorKey?: string }
  return c.id ?? c.accessorKey ?? ''
}

function columnLabel<T>(column: AnyColumn<T>): string {
  return column.meta?.label ?? (typeof column.header === 'string' ? column.header : columnId(column))
}

/** Which columns fit in `width`: the highest priority numbers go first, until the rest fit. */
export function fitColumns<T>(columns: readonly AnyColumn<T>[], width: number | null): VisibilityState {
  const visibility: VisibilityState = {}
  if (width === null) return visibility
  let total = columns.reduce((sum, c) => sum + (c.size ?? 150), 0)
  const optional = columns
    .map((column, index) => ({ column, index, priority: column.meta?.priority ?? 1 }))
    .filter((c) => c.priority > 1)
    // Highest priority number first; of equals, the rightmost first.
    .sort((a, b) => b.priority - a.priority || b.index - a.index)
  for (const { column } of optional) {
    if (total <= width) break
    visibility[columnId(column)] = false
    total -= column.size ?? 150
  }
  return visibility
}

/** The element's content width, following resizes (null until measured). */
function useWidth(ref: { current: HTMLElement | null }): number | null {
  const [width, setWidth] = useState<number | null>(null)
  useEffect(() => {
    const element = ref.current
    if (!element) return
    const observer = new ResizeObserver(() => setWidth(element.clientWidth))
    observer.observe(element)
    setWidth(element.clientWidth)
    return () => observer.disconnect()
  }, [ref])
  return width
}
