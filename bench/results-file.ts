/**
 * What a bench run leaves on disk: `latest.json` (every run of every configuration, the
 * redis-benchmark runs, the machine, the flags), `latest.md` (the report as printed) and the
 * SVG charts, in one folder that each run overwrites, so the repository keeps one current set
 * of results rather than a growing history. A run that draws no charts (`--redis-benchmark`
 * alone) leaves the charts already there untouched.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchArgs } from './args.js';
import type { ChartFile } from './charts.js';
import type { RedisBenchmarkOutcome } from './redis-benchmark-runner.js';
import type { SuiteOutcome } from './suite-runner.js';
import type { TargetCheck } from './targets.js';

export interface MachineDescription {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  redis: string | null;
}

export function describeMachine(): MachineDescription {
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
    redis: redisVersion(),
  };
}

export function writeResults(options: {
  args: BenchArgs;
  suite: SuiteOutcome;
  targets: TargetCheck[];
  redisBenchmark: RedisBenchmarkOutcome | null;
  report: string;
  charts: ChartFile[];
}): string[] {
  const { args, suite, targets, redisBenchmark, report, charts } = options;
  mkdirSync(args.outDir, { recursive: true });
  const json = {
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    args,
    scenarios: suite.outcomes,
    /** `--compare-clients`: the same rows driven by the Node client, alternating with loadgen. */
    crossCheck: suite.crossCheck,
    targets,
    redisBenchmark,
    notes: suite.notes,
  };
  const written = [join(args.outDir, 'latest.json'), join(args.outDir, 'latest.md')];
  writeFileSync(written[0] as string, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(written[1] as string, report);
  for (const chart of charts) {
    const path = join(args.outDir, chart.name);
    writeFileSync(path, chart.svg);
    written.push(path);
  }
  return written;
}

function redisVersion(): string | null {
  try {
    const text = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
  } catch {
    return null;
  }
}
