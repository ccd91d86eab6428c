/**
 * CSV as RFC 4180 writes it: comma separated, CRLF between records, a field quoted when it holds
 * a comma, a quote, CR or LF (quotes doubled inside). A line break inside a quoted field is data,
 * so every record still parses as one row.
 */

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text: string
  if (typeof value === 'string') text = value
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value)
  else text = JSON.stringify(value)
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvRecord(values: readonly unknown[]): string {
  return values.map(csvField).join(',')
}

/** A whole document: the header record, then one record per row, each ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  let out = csvRecord(header) + '\r\n'
  for (const row of rows) out += csvRecord(row) + '\r\n'
  return out
}
