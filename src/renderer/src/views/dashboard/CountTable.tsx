import type { JSX } from 'react'
import { formatCount } from '../../lib/format'

export interface CountRow {
  name: string
  count: number
  /** What the name means, in words; omitted: no Meaning column. */
  meaning?: string
}

/** A table of named counters (drops, limits hit, refusals): rows with a count above 0 stand out. */
export function CountTable(props: {
  labelledBy?: string
  label?: string
  testId: string
  nameHeader: string
  countHeader: string
  rows: CountRow[]
  /** A Total row under the others. */
  total?: number
}): JSX.Element {
  const withMeaning = props.rows.some((row) => row.meaning !== undefined)
  return (
    <table className="data-table compact" aria-labelledby={props.labelledBy} aria-label={props.label} data-testid={props.testId}>
      <thead>
        <tr>
          <th scope="col">{props.nameHeader}</th>
          <th scope="col" className="num">
            {props.countHeader}
          </th>
          {withMeaning && <th scope="col">Meaning</th>}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={row.name} className={row.count > 0 ? 'attention' : undefined}>
            <td>
              <code>{row.name}</code>
            </td>
            <td className="num">{formatCount(row.count)}</td>
            {withMeaning && <td className="muted">{row.meaning}</td>}
          </tr>
        ))}
        {props.total !== undefined && (
          <tr className="total">
            <td>Total</td>
            <td className="num">{formatCount(props.total)}</td>
            {withMeaning && <td />}
          </tr>
        )}
      </tbody>
    </table>
  )
}
