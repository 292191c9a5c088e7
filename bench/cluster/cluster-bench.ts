/**
 * `npm run bench -- --cluster`: throughput through twemproxy (SPEC.md section 12), with
 * redis-benchmark, the tool people already trust for Redis numbers. The same command line
 * (`-t set,get`, 50 connections, random keys) goes to one Haus directly, then through the proxy
 * to one Haus and to three, and, where redis-server is installed, through the proxy to three
 * Redis servers, to see whether Haus or the proxy path sets the pace. The proxy's CPU time
 * (twemproxy is one thread) is read from /proc around each run and divided by the requests:
 * µs per request is its cost whatever share of the cores it got, and 1 s over it is what one
 * proxy could forward with a core of its own.
 *
 * Everything runs on one host, so the servers, the proxy and redis-benchmark share its cores:
 * three servers cannot be faster than one here. What the table can show is whether the proxy
 * is the bottleneck (it is not while its cost per request allows far more than the table's
 * rates); the gain of scaling out needs one host per server. Each configuration starts on fresh
 * servers.
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { BenchArgs } from '../args.js';
import { sampleCpu } from '../proc-stats.js';
import { respCommand } from '../protocols/resp.js';
import { parseRedisBenchmarkCsv } from '../redis-benchmark-csv.js';
import { ask } from '../server-query.js';
import {
  findOnPath,
  REDIS_MISSING,
  type RunningServer,
  redisAvailable,
  startHaus,
  startRedis,
} from '../servers.js';
import { NUTCRACKER_MISSING, type RunningNutcracker, startNutcracker } from './nutcracker.js';

const TESTS = 'set,get';
const PIPELINES: readonly number[] = [1, 16];
const CLIENTS = 50;
/** Random keys (`-r`): spread over the servers, as real keys would be. */
const KEYSPACE = 100_000;
const RUN_TIMEOUT_MS = 180_000;

interface Configuration {
  label: string;
  kind: 'haus' | 'redis';
  servers: number;
  viaProxy: boolean;
}

const CONFIGURATIONS: readonly Configuration[] = [
  { label: 'Haus, direct', kind: 'haus', servers: 1, viaProxy: false },
  { label: 'twemproxy → 1 Haus', kind: 'haus', servers: 1, viaProxy: true },
  { label: 'twemproxy → 3 Haus', kind: 'haus', servers: 3, viaProxy: true },
  { label: 'twemproxy → 3 Redis', kind: 'redis', servers: 3, viaProxy: true },
];

interface Row {
  configuration: Configuration;
  /** Requests per second by test and pipeline depth, e.g. `SET P=16`. */
  rps: Map<string, number>;
  /** The proxy's CPU time per request (µs) at each pipeline depth. */
  proxyCpu: Map<number, number>;
  keysPerServer: number[];
}

export async function runClusterBench(args: BenchArgs): Promise<number> {
  const tool = findOnPath('redis-benchmark');
  if (tool === null) {
    process.stderr.write('redis-benchmark not found on PATH (apt-get install -y redis-tools)\n');
    return 1;
  }
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const configuration of CONFIGURATIONS) {
    if (configuration.kind === 'redis' && !redisAvailable()) {
      notes.push(REDIS_MISSING);
      continue;
    }
    try {
      rows.push(await measure(tool, configuration, args));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== NUTCRACKER_MISSING) throw error;
      notes.push(`${configuration.label}: ${message}`);
    }
  }
  process.stdout.write(`\n${formatTable(rows, args, notes)}`);
  return 0;
}

async function measure(tool: string, configuration: Configuration, args: BenchArgs) {
  const servers: RunningServer[] = [];
  let proxy: RunningNutcracker | null = null;
  try {
    for (let i = 0; i < configuration.servers; i++) {
      servers.push(
        configuration.kind === 'haus'
          ? await startHaus({ shards: args.shards, protocol: 'resp' })
          : await startRedis(),
      );
    }
    if (configuration.viaProxy) {
      proxy = await startNutcracker({
        servers: servers.map((server, i) => ({ port: server.port, name: `haus${i + 1}:9888` })),
        failureLimit: 1,
        retryTimeoutMs: 2_000,
        timeoutMs: 2_000,
      });
    }
    const port = proxy?.port ?? (servers[0] as RunningServer).port;
    const row: Row = { configuration, rps: new Map(), proxyCpu: new Map(), keysPerServer: [] };
    for (const pipeline of PIPELINES) {
      // --runs N: each run on the same servers, the median reported (the host is shared).
      const rps = new Map<string, number[]>();
      const cpu: number[] = [];
      for (let run = 0; run < args.runs; run++) {
        process.stderr.write(`cluster bench: ${configuration.label}, -P ${pipeline} ...\n`);
        const before = proxy === null ? null : sampleCpu(proxy.pid);
        const csv = parseRedisBenchmarkCsv(await redisBenchmark(tool, port, pipeline, args));
        const after = proxy === null ? null : sampleCpu(proxy.pid);
        const requests = csv.rows.length * args.redisBenchmarkRequests;
        for (const result of csv.rows) {
          const column = `${result.test} P=${pipeline}`;
          rps.set(column, [...(rps.get(column) ?? []), result.requestsPerSec]);
        }
        if (before !== null && after !== null) {
          cpu.push((after.processUs - before.processUs) / requests);
        }
      }
      for (const [column, values] of rps) row.rps.set(column, median(values));
      if (cpu.length > 0) row.proxyCpu.set(pipeline, median(cpu));
    }
    for (const server of servers) row.keysPerServer.push(await keyCount(server));
    return row;
  } finally {
    await proxy?.stop();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

function redisBenchmark(tool: string, port: number, pipeline: number, args: BenchArgs) {
  const toolArgs = [
    ...['-h', '127.0.0.1', '-p', String(port), '-t', TESTS, '-P', String(pipeline)],
    ...['-c', String(CLIENTS), '-n', String(args.redisBenchmarkRequests)],
    ...['-r', String(KEYSPACE), '-q', '--csv'],
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(
      tool,
      toolArgs,
      { encoding: 'utf8', timeout: RUN_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout) => {
        if (error !== null) reject(new Error(`redis-benchmark ${toolArgs.join(' ')}: ${error}`));
        else resolve(stdout);
      },
    );
  });
}

/** DBSIZE of one server, asked directly (the proxy refuses DBSIZE: it has no key to route). */
async function keyCount(server: RunningServer): Promise<number> {
  const reply = await ask({
    host: server.host,
    port: server.port,
    request: respCommand('DBSIZE'),
    complete: (text) => text.includes('\r\n'),
    timeoutMs: 5_000,
  });
  const count = /^:(\d+)\r\n/.exec(reply)?.[1];
  if (count === undefined) throw new Error(`DBSIZE: unexpected reply ${JSON.stringify(reply)}`);
  return Number(count);
}

function formatTable(rows: readonly Row[], args: BenchArgs, notes: readonly string[]): string {
  const columns = PIPELINES.flatMap((p) => [`SET P=${p}`, `GET P=${p}`]);
  const thousands = (value: number | undefined) =>
    value === undefined ? '-' : `${(value / 1000).toFixed(0)}k`;
  const lines = [
    '## Through twemproxy: redis-benchmark requests/s',
    '',
    `| configuration | ${columns.join(' | ')} | proxy CPU µs/request P=1 / P=16 | keys per server |`,
    `|---|${columns.map(() => '---:').join('|')}|---:|---|`,
  ];
  for (const row of rows) {
    const cpu = PIPELINES.map((p) => {
      const us = row.proxyCpu.get(p);
      return us === undefined ? '-' : us.toFixed(1);
    }).join(' / ');
    const cells = columns.map((column) => thousands(row.rps.get(column)));
    lines.push(
      `| ${row.configuration.label} | ${cells.join(' | ')} | ${cpu} | ` +
        `${row.keysPerServer.join(' / ')} |`,
    );
  }
  lines.push(
    '',
    `redis-benchmark -t ${TESTS} -P 1 and -P 16 -c ${CLIENTS} -n ${args.redisBenchmarkRequests} ` +
      `-r ${KEYSPACE}, median of ${args.runs} run(s); Haus with --shards ${args.shards} each, Redis with persistence off; ` +
      'twemproxy (nutcracker) with ketama and murmur, one connection per server.',
    `All on one host of ${availableCores()} cores: servers, proxy and client share them, so ` +
      'three servers cannot beat one here. The table shows whether the proxy is the ' +
      'bottleneck, not what scaling out gains: at X µs of proxy CPU per request, one proxy ' +
      'with a core of its own forwards about 1,000,000 / X requests per second.',
    ...notes.map((note) => `Note: ${note}`),
    '',
  );
  return lines.join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function availableCores(): number {
  return availableParallelism();
}
