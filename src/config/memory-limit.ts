/**
 * Finds how much memory this process may use: the container's cgroup limit where there is one,
 * else the machine's physical memory. The data memory default is a share of it.
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** cgroup v2 first (current Docker), then v1; "max" or an absurd v1 value means "no limit". */
const cgroupLimitFiles = [
  '/sys/fs/cgroup/memory.max',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
] as const;

export interface MemoryLimit {
  bytes: number;
  source: 'cgroup' | 'physical';
}

export function processMemoryLimit(): MemoryLimit {
  const physicalBytes = totalmem();
  for (const file of cgroupLimitFiles) {
    const bytes = readLimitFile(file);
    if (bytes !== null && bytes < physicalBytes) return { bytes, source: 'cgroup' };
  }
  return { bytes: physicalBytes, source: 'physical' };
}

function readLimitFile(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    if (text === 'max') return null;
    const bytes = Number(text);
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
  } catch {
    return null;
  }
}
