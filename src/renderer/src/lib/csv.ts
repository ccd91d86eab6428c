/**
 * CSV as RFC 4180 writes it: comma separated, CRLF between records, a field quoted when it holds
 * a comma, a quote, CR or LF (quotes doubled inside). A line break inside a quoted field is data,
 * so every record still parses as one row.
 *
 * Formula injection: any MQTT client chooses the topics, payloads and client ids that end up in
 * an export, and a spreadsheet runs a cell that starts with = + - @ (or a tab or CR before them)
 * as a formula. Such text cells get a leading ' (OWASP, "CSV Injection"), which spreadsheets show
 * as plain text; numbers we write ourselves are left alone.
 */

/** The characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection). */
const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text: string
  if (typeof value === 'string') text = neutralizeFormula(value)
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value)
  else text = neutralizeFormula(JSON.stringify(value))
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** A text cell a spreadsheet would run as a formula, with a leading ' so it is shown as text. */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text
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
