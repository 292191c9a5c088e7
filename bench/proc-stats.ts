/**
 * Server-side cost, read from Linux /proc: CPU time of a whole process and of its main thread
 * (tid == pid), and its resident memory. CPU per op is the cost that decides throughput once
 * the client keeps the server busy, and unlike ops/s it does not depend on how much CPU the
 * client left over on a shared machine. Everything here returns null off Linux or when the
 * process is gone, and the report then shows "-".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc CPU times; 100 on every Linux we run on, asked once. */
const TICKS_PER_SECOND = readTicksPerSecond();

export interface CpuSample {
  processUs: number;
  mainThreadUs: number;
}

export function sampleCpu(pid: number): CpuSample | null {
  const processUs = readCpuUs(`/proc/${pid}/stat`);
  const mainThreadUs = readCpuUs(`/proc/${pid}/task/${pid}/stat`);
  if (processUs === null || mainThreadUs === null) return null;
  return { processUs, mainThreadUs };
}

export interface CpuPerOp {
  /** All threads of the server process: µs of CPU per op. */
  totalUs: number;
  /** The server's main thread (network, parsing, and for Haus the coordinator). */
  mainUs: number;
  /**
   * Every other thread: for Haus its shard workers (plus V8's GC helpers), for Redis its
   * background threads, near zero. The report labels this column "shards".
   */
  otherThreadsUs: number;
}

export function cpuPerOp(before: CpuSample | null, after: CpuSample | null, ops: number) {
  if (before === null || after === null || ops <= 0) return null;
  const totalUs = (after.processUs - before.processUs) / ops;
  const mainUs = (after.mainThreadUs - before.mainThreadUs) / ops;
  const perOp: CpuPerOp = { totalUs, mainUs, otherThreadsUs: totalUs - mainUs };
  return perOp;
}

/** VmRSS of the process in bytes: all its threads share it, so Haus shards are included. */
export function readRssBytes(pid: number): number | null {
  const status = readText(`/proc/${pid}/status`);
  const match = status === null ? null : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] === undefined ? null : Number(match[1]) * 1024;
}

/** utime + stime (fields 14 and 15) of a /proc stat file, in microseconds. */
function readCpuUs(path: string): number | null {
  const stat = readText(path);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may hold spaces: split after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return ((utime + stime) * 1_000_000) / TICKS_PER_SECOND;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function readTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}
