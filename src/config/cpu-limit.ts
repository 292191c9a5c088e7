/**
 * How many cores this process may keep busy: the container's CPU quota where there is one,
 * else the CPUs it may run on. Node's `os.availableParallelism()` counts the CPUs of the
 * affinity mask only, so a container started with `--cpus 2` on a 64-core host would get 64
 * shards, each fighting for a share of two cores (more shards than cores is slower:
 * FINDINGS.md). The default shard count is this.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export function usableCores(): number {
  const cpus = availableParallelism();
  const quota = readQuotaCores();
  return quota !== null && quota < cpus ? quota : cpus;
}

/** cgroup v2 first (current Docker), then v1; null where there is no quota. */
function readQuotaCores(): number | null {
  const v2 = readText('/sys/fs/cgroup/cpu.max');
  if (v2 !== null) return quotaCoresOfCpuMax(v2);
  const quota = readText('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const period = readText('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  if (quota === null || period === null) return null;
  return quotaCores(Number(quota), Number(period));
}

/** cgroup v2 `cpu.max`: "<quota> <period>" in microseconds, or "max <period>" (no quota). */
export function quotaCoresOfCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return null;
  return quotaCores(Number(quota), Number(period));
}

/** A quota of 1.5 cores can keep two threads half busy: it rounds up. v1 says -1 for none. */
export function quotaCores(quotaUs: number, periodUs: number): number | null {
  if (!(quotaUs > 0) || !(periodUs > 0)) return null;
  return Math.max(1, Math.ceil(quotaUs / periodUs));
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
