/**
 * The redis-benchmark side by side: the tool people already trust for Redis numbers, pointed
 * at Haus (RESP on its main port) and at Redis in turn, with the same command line. Per
 * pipeline depth, Haus runs first, then Redis, each on a fresh server that is stopped before
 * the next starts, so the two never share the cores.
 *
 * redis-benchmark counts replies but never checks them, so after each run the bench reads the
 * two keys the tests leave behind (`counter:__rand_int__`, INCRed once per request, and
 * `key:__rand_int__`, written by SET and MSET) and requires Haus's to equal Redis's: a Haus that
 * answered without doing the work shows up as a state mismatch, and the bench exits 1.
 */
import { execFile } from 'node:child_process';
import type { BenchArgs } from './args.js';
import { parseRedisBenchmarkCsv, type RedisBenchmarkRow } from './redis-benchmark-csv.js';
import { respGet } from './server-query.js';
import {
  findOnPath,
  REDIS_MISSING,
  type RunningServer,
  redisAvailable,
  startHaus,
  startRedis,
} from './servers.js';

/** The issue's set: the write, the read, a read-modify-write, and a 10-key write. */
export const REDIS_BENCHMARK_TESTS = 'set,get,incr,mset';
export const REDIS_BENCHMARK_PIPELINES: readonly number[] = [1, 16];
/** redis-benchmark's own default, and the quick suite's connection count. */
export const REDIS_BENCHMARK_CLIENTS = 50;
/** A run that takes this long has hung (a server that stopped answering). */
const RUN_TIMEOUT_MS = 180_000;
const OUTPUT_BYTES_MAX = 1024 * 1024;
/** The keys redis-benchmark's INCR and SET/MSET tests write when no `-r` is given. */
const STATE_KEYS = ['counter:__rand_int__', 'key:__rand_int__'] as const;

export type RedisBenchmarkServer = 'haus-resp' | 'redis';

export interface RedisBenchmarkRun {
  server: RedisBenchmarkServer;
  pipeline: number;
  /** The command line, as it could be pasted into a shell (port included). */
  command: string;
  seconds: number;
  rows: RedisBenchmarkRow[];
  /** What the server held at the state keys after the run (null: key missing). */
  state: Record<string, string | null>;
  /** redis-benchmark's non-CSV output (stdout lines that were not CSV, and stderr). */
  otherOutput: string[];
}

export interface RedisBenchmarkOutcome {
  requests: number;
  clients: number;
  runs: RedisBenchmarkRun[];
  /** State mismatches between Haus and Redis: each one fails the bench. */
  errors: string[];
  notes: string[];
}

export async function runRedisBenchmark(args: BenchArgs): Promise<RedisBenchmarkOutcome> {
  const outcome: RedisBenchmarkOutcome = {
    requests: args.redisBenchmarkRequests,
    clients: REDIS_BENCHMARK_CLIENTS,
    runs: [],
    errors: [],
    notes: [],
  };
  const tool = findOnPath('redis-benchmark');
  if (tool === null) {
    outcome.notes.push(
      'redis-benchmark not found on PATH: side by side skipped ' +
        '(on Debian: apt-get install -y redis-tools)',
    );
    return outcome;
  }
  const servers: RedisBenchmarkServer[] = ['haus-resp'];
  if (redisAvailable()) servers.push('redis');
  else outcome.notes.push(REDIS_MISSING);
  for (const pipeline of REDIS_BENCHMARK_PIPELINES) {
    for (const server of servers) {
      const run = await runOnFreshServer({ tool, server, pipeline, args });
      outcome.runs.push(run);
    }
    outcome.errors.push(...stateMismatches(outcome.runs, pipeline));
  }
  return outcome;
}

async function runOnFreshServer(options: {
  tool: string;
  server: RedisBenchmarkServer;
  pipeline: number;
  args: BenchArgs;
}): Promise<RedisBenchmarkRun> {
  const { tool, server, pipeline, args } = options;
  const running: RunningServer =
    server === 'redis'
      ? await startRedis()
      : await startHaus({ shards: args.shards, protocol: 'resp' });
  try {
    const toolArgs = [
      '-h',
      running.host,
      '-p',
      String(running.port),
      '-t',
      REDIS_BENCHMARK_TESTS,
      '-P',
      String(pipeline),
      '-c',
      String(REDIS_BENCHMARK_CLIENTS),
      '-n',
      String(args.redisBenchmarkRequests),
      '-q',
      '--csv',
    ];
    const command = `redis-benchmark ${toolArgs.join(' ')}`;
    process.stderr.write(`redis-benchmark: ${server} -P ${pipeline} ...\n`);
    const started = performance.now();
    const { stdout, stderr } = await execTool(tool, toolArgs);
    const seconds = (performance.now() - started) / 1000;
    const csv = parseRedisBenchmarkCsv(stdout);
    const state: Record<string, string | null> = {};
    for (const key of STATE_KEYS) state[key] = await respGet(running.host, running.port, key);
    const otherOutput = [...csv.otherLines, ...stderr.split('\n').filter((l) => l.trim() !== '')];
    process.stderr.write(
      `redis-benchmark: ${server} -P ${pipeline} ${seconds.toFixed(1)} s: ` +
        `${csv.rows.map((row) => `${row.test} ${Math.round(row.requestsPerSec)}`).join(', ')}\n`,
    );
    return { server, pipeline, command, seconds, rows: csv.rows, state, otherOutput };
  } finally {
    await running.stop();
  }
}

function execTool(tool: string, toolArgs: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      toolArgs,
      { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: OUTPUT_BYTES_MAX },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`redis-benchmark ${toolArgs.join(' ')} failed: ${error.message}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Haus and Redis ran the same command line, so they must end holding the same values. */
function stateMismatches(runs: RedisBenchmarkRun[], pipeline: number): string[] {
  const haus = runs.find((run) => run.server === 'haus-resp' && run.pipeline === pipeline);
  const redis = runs.find((run) => run.server === 'redis' && run.pipeline === pipeline);
  if (haus === undefined || redis === undefined) return [];
  return STATE_KEYS.filter((key) => haus.state[key] !== redis.state[key]).map(
    (key) =>
      `-P ${pipeline}: after the run Haus holds ${JSON.stringify(haus.state[key])} at ${key}, ` +
      `Redis ${JSON.stringify(redis.state[key])}`,
  );
}
