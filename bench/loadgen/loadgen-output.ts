/**
 * loadgen's one-line summary (`proto=haus c=50 P=1 ... ops=639430 ops/s=63914 p50=607 p99=1887
 * p99.9=4607 max=9001 us errors=0 misses=0 [txn/s=...] loadgen_cpu=55%`) read by name, so
 * a field added or moved does not shift the others. A field the bench needs that is missing or
 * not a number is an error naming it: a silent 0 would read as a measurement.
 */

export interface LoadgenSummary {
  elapsedS: number;
  /** Every reply (command) in the timed run. */
  ops: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  errors: number;
  /** GETs answered "not found": after the preload, each one is a wrong reply. */
  misses: number;
  /** Committed transactions per second; null when the run had no --txn. */
  txPerSec: number | null;
  /** loadgen's own CPU over the run, in % of one core. */
  cpuPercent: number;
}

const REQUIRED = {
  elapsedS: 'elapsed',
  ops: 'ops',
  opsPerSec: 'ops/s',
  p50Us: 'p50',
  p99Us: 'p99',
  p999Us: 'p99.9',
  maxUs: 'max',
  errors: 'errors',
  misses: 'misses',
  cpuPercent: 'loadgen_cpu',
} as const;

export function parseLoadgenSummary(text: string): LoadgenSummary {
  const line = text
    .split('\n')
    .map((candidate) => candidate.trim())
    .find((candidate) => candidate.startsWith('proto='));
  if (line === undefined) throw new Error(`no loadgen summary line in: ${JSON.stringify(text)}`);
  const fields = new Map<string, string>();
  for (const word of line.split(/\s+/)) {
    const equals = word.indexOf('=');
    if (equals > 0) fields.set(word.slice(0, equals), word.slice(equals + 1));
  }
  const read = (name: string): number => {
    const raw = fields.get(name);
    // Units ride on some values: `elapsed=10.00s`, `loadgen_cpu=55%`.
    const value = raw === undefined ? Number.NaN : Number(raw.replace(/(s|%)$/, ''));
    if (raw === undefined || raw === '' || !Number.isFinite(value)) {
      throw new Error(`loadgen summary has no numeric ${name}: ${line}`);
    }
    return value;
  };
  const summary = Object.fromEntries(
    Object.entries(REQUIRED).map(([key, name]) => [key, read(name)]),
  ) as Omit<LoadgenSummary, 'txPerSec'>;
  return { ...summary, txPerSec: fields.has('txn/s') ? read('txn/s') : null };
}
