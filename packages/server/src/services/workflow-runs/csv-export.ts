/** How a CSV is written (Retab's WorkflowExportPayloadRequest: `;` by default, RFC 4180 quoting). */
export interface CsvDialect {
  delimiter: string;
  lineDelimiter: string;
  quote: string;
}

/** One exported row: the fixed columns, then the block's data flattened to dotted keys. */
export interface ExportRow {
  fixed: Record<string, string>;
  data: unknown;
}

const MAX_FLATTEN_DEPTH = 8;

/** `{a: {b: 1}, c: [1, 2]}` → `{"a.b": "1", "c": "[1,2]"}`: objects become columns, arrays stay JSON in one cell. */
export function flatten(value: unknown, prefix = '', depth = 0, into: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < MAX_FLATTEN_DEPTH) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, depth + 1, into);
    return into;
  }
  into[prefix || 'value'] = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return into;
}

function cell(text: string, dialect: CsvDialect): string {
  const needsQuotes = text.includes(dialect.delimiter) || text.includes(dialect.quote) || text.includes('\n') || text.includes('\r') || text.includes(dialect.lineDelimiter);
  return needsQuotes ? dialect.quote + text.split(dialect.quote).join(dialect.quote + dialect.quote) + dialect.quote : text;
}

/**
 * The CSV of exported rows: fixed columns first, then `preferred` data columns in the order given,
 * then every other data column in the order first seen.
 */
export function toCsv(rows: ExportRow[], fixedColumns: string[], preferred: string[], dialect: CsvDialect): { csv_data: string; rows: number; columns: number } {
  const flattened = rows.map((row) => ({ fixed: row.fixed, data: flatten(row.data) }));
  const seen = new Set<string>();
  for (const row of flattened) for (const key of Object.keys(row.data)) seen.add(key);
  const dataColumns = [...preferred.filter((column) => seen.has(column)), ...[...seen].filter((column) => !preferred.includes(column))];
  const header = [...fixedColumns, ...dataColumns];
  const lines = [header.map((column) => cell(column, dialect)).join(dialect.delimiter)];
  for (const row of flattened) {
    const values = [...fixedColumns.map((column) => row.fixed[column] ?? ''), ...dataColumns.map((column) => row.data[column] ?? '')];
    lines.push(values.map((value) => cell(value, dialect)).join(dialect.delimiter));
  }
  return { csv_data: lines.join(dialect.lineDelimiter) + dialect.lineDelimiter, rows: rows.length, columns: header.length };
}
