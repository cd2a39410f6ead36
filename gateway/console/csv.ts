// CSV for security staff's exports, opened in spreadsheets: RFC 4180 quoting, and cells that a spreadsheet
// would run as a formula (=, +, -, @, tab, CR) are defused with a leading apostrophe (CSV injection).
export type Cell = string | number | boolean | null | undefined;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** A UTF-8 byte order mark first, so Excel shows Vietnamese diacritics in lane and reason names correctly. */
export function toCsv(header: readonly string[], rows: Iterable<readonly Cell[]>): string {
  let out = `\uFEFF${csvLine(header)}`;
  for (const r of rows) out += csvLine(r);
  return out;
}
