/**
 * The redis-benchmark side by side as Markdown: one row per test and pipeline depth, Haus and
 * Redis requests per second with their ratio, then redis-benchmark's p50 and p99, then the
 * state check and anything redis-benchmark printed besides its CSV.
 */
import type { RedisBenchmarkRow } from './redis-benchmark-csv.js';
import {
  REDIS_BENCHMARK_TESTS,
  type RedisBenchmarkOutcome,
  type RedisBenchmarkRun,
} from './redis-benchmark-runner.js';

export function formatRedisBenchmark(outcome: RedisBenchmarkOutcome, shards: number): string {
  const lines = [
    `redis-benchmark side by side: \`-t ${REDIS_BENCHMARK_TESTS} -c ${outcome.clients} ` +
      `-n ${outcome.requests} -q --csv\` at -P 1 and -P 16, one fresh server per run ` +
      `(Haus: RESP on its main port, ${shards} shard(s)); all tests use one key (no \`-r\`).`,
    '',
    '| command | P | Haus rps | Redis rps | Haus/Redis rps | Haus p50 / p99 ms | ' +
      'Redis p50 / p99 ms |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  const pipelines = [...new Set(outcome.runs.map((run) => run.pipeline))];
  for (const pipeline of pipelines) {
    const haus = outcome.runs.find(
      (run) => run.server === 'haus-resp' && run.pipeline === pipeline,
    );
    const redis = outcome.runs.find((run) => run.server === 'redis' && run.pipeline === pipeline);
    for (const test of testNames(haus, redis)) {
      lines.push(tableRow(test, pipeline, rowOf(haus, test), rowOf(redis, test)));
    }
  }
  lines.push('', ...stateLines(outcome));
  const other = outcome.runs.flatMap((run) =>
    run.otherOutput.map((line) => `  ${run.server} -P ${run.pipeline}: ${line}`),
  );
  if (other.length > 0) lines.push('', 'redis-benchmark also printed:', ...other);
  if (outcome.notes.length > 0) lines.push('', ...outcome.notes.map((note) => `Note: ${note}`));
  return `${lines.join('\n')}\n`;
}

function testNames(...runs: (RedisBenchmarkRun | undefined)[]): string[] {
  return [...new Set(runs.flatMap((run) => run?.rows.map((row) => row.test) ?? []))];
}

function rowOf(run: RedisBenchmarkRun | undefined, test: string): RedisBenchmarkRow | undefined {
  return run?.rows.find((row) => row.test === test);
}

function tableRow(
  test: string,
  pipeline: number,
  haus: RedisBenchmarkRow | undefined,
  redis: RedisBenchmarkRow | undefined,
): string {
  const ratio =
    haus === undefined || redis === undefined
      ? '-'
      : `${(haus.requestsPerSec / redis.requestsPerSec).toFixed(2)}x`;
  const cells = [
    test,
    String(pipeline),
    rps(haus),
    rps(redis),
    ratio,
    latency(haus),
    latency(redis),
  ];
  return `| ${cells.join(' | ')} |`;
}

function stateLines(outcome: RedisBenchmarkOutcome): string[] {
  if (outcome.errors.length > 0) {
    return ['State check FAILED (Haus and Redis differ after the same run):', ...outcome.errors];
  }
  const compared = outcome.runs.some((run) => run.server === 'redis');
  if (!compared) return ['State check: not made (no Redis run to compare with).'];
  const counters = outcome.runs
    .filter((run) => run.server === 'haus-resp')
    .map((run) => `${run.state['counter:__rand_int__'] ?? 'missing'} at -P ${run.pipeline}`);
  return [
    'State check: after each run Haus holds what Redis holds at counter:__rand_int__ ' +
      `(${counters.join(', ')}) and key:__rand_int__.`,
  ];
}

function rps(row: RedisBenchmarkRow | undefined): string {
  return row === undefined ? '-' : Math.round(row.requestsPerSec).toLocaleString('en-US');
}

function latency(row: RedisBenchmarkRow | undefined): string {
  if (row?.p50LatencyMs == null || row.p99LatencyMs == null) return '-';
  return `${row.p50LatencyMs.toFixed(3)} / ${row.p99LatencyMs.toFixed(3)}`;
}
