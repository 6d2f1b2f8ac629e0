/**
 * PostgreSQL's COPY text format, without any database code: the upload parser thread writes rows
 * in it and should not load the database client to do so.
 */

/** One value in COPY's text format. */
function copyValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/[\\\t\n\r]/g, (char) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[char]!)
    : value;
}

/** One row in COPY's text format: tab-separated, `\N` for null, ending with a newline. */
export function copyLine(values: readonly (string | number | null | undefined)[]): string {
  let line = '';
  for (let index = 0; index < values.length; index++) {
    if (index > 0) line += '\t';
    line += copyValue(values[index]);
  }
  return `${line}\n`;
}
