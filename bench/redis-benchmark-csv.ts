/**
 * Reads what `redis-benchmark -q --csv` prints: a header line naming the columns, then one line
 * per test, every field in double quotes. Redis 7.0 prints `test`, `rps` and six latency columns
 * in milliseconds; older versions print only `test` and `rps`, so the latency fields are null
 * when their column is absent. Columns are found by their header name, not their position, so a
 * reordered or extended header still reads right. A line that is not CSV at all (a warning that
 * reached stdout) is kept aside for the report rather than failing the run; a CSV line that does
 * not fit the header is an error, as its numbers could not be trusted.
 */

export interface RedisBenchmarkRow {
  /** The test's name as redis-benchmark prints it, e.g. `SET` or `MSET (10 keys)`. */
  test: string;
  requestsPerSec: number;
  avgLatencyMs: number | null;
  minLatencyMs: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  p99LatencyMs: number | null;
  maxLatencyMs: number | null;
}

export interface RedisBenchmarkCsv {
  rows: RedisBenchmarkRow[];
  /** Non-empty lines that were not CSV, in order. */
  otherLines: string[];
}

type LatencyField = Exclude<keyof RedisBenchmarkRow, 'test' | 'requestsPerSec'>;

const LATENCY_COLUMNS: Record<string, LatencyField> = {
  avg_latency_ms: 'avgLatencyMs',
  min_latency_ms: 'minLatencyMs',
  p50_latency_ms: 'p50LatencyMs',
  p95_latency_ms: 'p95LatencyMs',
  p99_latency_ms: 'p99LatencyMs',
  max_latency_ms: 'maxLatencyMs',
};

export function parseRedisBenchmarkCsv(text: string): RedisBenchmarkCsv {
  const rows: RedisBenchmarkRow[] = [];
  const otherLines: string[] = [];
  let header: string[] | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '') continue;
    if (!line.startsWith('"')) {
      otherLines.push(line);
      continue;
    }
    const fields = splitCsvLine(line);
    if (header === null) {
      header = checkedHeader(fields, line);
      continue;
    }
    rows.push(rowOf(header, fields, line));
  }
  if (header === null) throw new Error('redis-benchmark printed no CSV header');
  return { rows, otherLines };
}

function checkedHeader(fields: string[], line: string): string[] {
  if (!fields.includes('test') || !fields.includes('rps')) {
    throw new Error(`redis-benchmark CSV header lacks "test" or "rps": ${line}`);
  }
  return fields;
}

function rowOf(header: string[], fields: string[], line: string): RedisBenchmarkRow {
  if (fields.length !== header.length) {
    throw new Error(
      `redis-benchmark CSV line has ${fields.length} fields, the header ${header.length}: ${line}`,
    );
  }
  const cell = (column: string) => fields[header.indexOf(column)] ?? '';
  const row: RedisBenchmarkRow = {
    test: cell('test'),
    requestsPerSec: numberOf(cell('rps'), 'rps', line),
    avgLatencyMs: null,
    minLatencyMs: null,
    p50LatencyMs: null,
    p95LatencyMs: null,
    p99LatencyMs: null,
    maxLatencyMs: null,
  };
  for (const [column, field] of Object.entries(LATENCY_COLUMNS)) {
    if (header.includes(column)) row[field] = numberOf(cell(column), column, line);
  }
  return row;
}

function numberOf(text: string, column: string, line: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(
      `redis-benchmark CSV ${column} ${JSON.stringify(text)} is not a number: ${line}`,
    );
  }
  return value;
}

/** RFC 4180 fields: quoted or bare, `""` inside quotes for one quote, commas as separators. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let pos = 0;
  while (pos <= line.length) {
    if (line[pos] === '"') {
      let value = '';
      let cursor = pos + 1;
      for (;;) {
        const quote = line.indexOf('"', cursor);
        if (quote === -1) throw new Error(`redis-benchmark CSV has an unclosed quote: ${line}`);
        value += line.slice(cursor, quote);
        if (line[quote + 1] !== '"') {
          cursor = quote + 1;
          break;
        }
        value += '"';
        cursor = quote + 2;
      }
      if (cursor < line.length && line[cursor] !== ',') {
        throw new Error(`redis-benchmark CSV has text after a closing quote: ${line}`);
      }
      fields.push(value);
      pos = cursor + 1;
    } else {
      const comma = line.indexOf(',', pos);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(pos, end));
      pos = end + 1;
    }
  }
  return fields;
}
