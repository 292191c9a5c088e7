/**
 * Several runs of one configuration folded into one line of the report: the median of each
 * figure taken on its own (so the median ops/s and the median p99 may come from different
 * runs), and errors summed, since one wrong reply in any run is worth seeing.
 */
import type { RunResult } from './load-generator.js';

export interface Aggregate {
  runs: RunResult[];
  opsPerSec: number;
  /** Committed transactions per second; null for rows without transactions. */
  txPerSec: number | null;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  /**
   * Server CPU per op: all threads, the main thread, and the rest (Haus's shards); null when
   * it could not be read.
   */
  cpuTotalUs: number | null;
  cpuMainUs: number | null;
  cpuOtherThreadsUs: number | null;
  /** The bench's own CPU per op: near the server's, the client shares the limit. */
  clientCpuUs: number | null;
  errors: number;
  errorSamples: string[];
}

export function aggregate(runs: RunResult[]): Aggregate {
  const cpu = runs.flatMap((run) => (run.cpuUs === null ? [] : [run.cpuUs]));
  return {
    runs,
    opsPerSec: median(runs.map((run) => run.opsPerSec)),
    txPerSec: medianOrNull(runs.map((run) => run.txPerSec)),
    p50Us: median(runs.map((run) => run.latencyUs.p50)),
    p99Us: median(runs.map((run) => run.latencyUs.p99)),
    p999Us: median(runs.map((run) => run.latencyUs.p999)),
    cpuTotalUs: cpu.length === 0 ? null : median(cpu.map((c) => c.totalUs)),
    cpuMainUs: cpu.length === 0 ? null : median(cpu.map((c) => c.mainUs)),
    cpuOtherThreadsUs: cpu.length === 0 ? null : median(cpu.map((c) => c.otherThreadsUs)),
    clientCpuUs: medianOrNull(runs.map((run) => run.clientCpuUs)),
    errors: runs.reduce((total, run) => total + run.errors, 0),
    errorSamples: runs.flatMap((run) => run.errorSamples).slice(0, 5),
  };
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

function medianOrNull(values: (number | null)[]): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : median(known);
}
