/**
 * `npm run bench -- --snapshot`: what snapshots cost (SPEC.md section 9), Haus against Redis's
 * BGSAVE on the same data. Each server gets 1M keys (16-byte keys as redis-benchmark names
 * them, 32 random bytes of hex as values, so Redis's LZF has nothing to squeeze), then:
 * - a snapshot with no load: time from BGSAVE until the file is on disk, and the extra memory
 *   (Haus: resident memory over the run, and the serialized bytes its shards held at most;
 *   Redis: its fork's copy-on-write, rdb_last_cow_size);
 * - load: a new server started on that file, until it answers PING (Redis answers -LOADING
 *   until loaded; Haus listens only then), and its resident memory after;
 * - redis-benchmark -t set,get -P 16 (50 connections, the same 1M keys) without snapshots,
 *   then with a snapshot started every 3 s for the whole run.
 * Everything shares one machine's cores: read the ratios, and rerun on a quiet machine.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchArgs } from '../args.js';
import { readRssBytes } from '../proc-stats.js';
import { parseRedisBenchmarkCsv } from '../redis-benchmark-csv.js';
import { findOnPath, freePort, LOOPBACK, startHaus } from '../servers.js';
import { RespLink } from './resp-link.js';

const KEY_COUNT = 1_000_000;
const VALUE_BYTES = 32;
const MSET_PAIRS = 1000;
const MSETS_IN_FLIGHT = 8;
/** redis-benchmark requests per test: a few seconds at P=16, several snapshots long. */
const BENCHMARK_REQUESTS = 1_000_000;
const POLL_MS = 20;
const SNAPSHOT_EVERY_MS = 3_000;
const START_TIMEOUT_MS = 120_000;

interface Server {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

interface Figures {
  emptyStartMs: number;
  fillRssBytes: number;
  snapshotMs: number;
  fileBytes: number;
  snapshotExtraRssBytes: number;
  /** Haus: the shards' serialized bytes at most; Redis: copy-on-write. */
  snapshotHeldBytes: number;
  loadMs: number;
  loadedRssBytes: number;
  loadedKeys: number;
  rps: Record<string, number>;
  rpsDuringSnapshots: Record<string, number>;
  snapshotsDuringRun: number;
  heldBytesUnderWrites: number;
}

export async function runSnapshotBench(args: BenchArgs): Promise<number> {
  const tool = findOnPath('redis-benchmark');
  const redis = findOnPath('redis-server');
  if (tool === null || redis === null) {
    process.stderr.write('redis-server and redis-benchmark are needed (apt-get install redis)\n');
    return 1;
  }
  const haus = await measure('Haus', tool, (dir, file) => startHausWith(args.shards, file, dir));
  const red = await measure('Redis', tool, (dir, file) => startRedisWith(redis, dir, file));
  process.stdout.write(`\n${formatTable(args.shards, haus, red)}`);
  return 0;
}

async function measure(
  name: string,
  tool: string,
  start: (dir: string, file: string | null) => Promise<Server>,
): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'haus-snapshot-bench-'));
  const progress = (text: string) => process.stderr.write(`snapshot bench: ${name}: ${text}\n`);
  try {
    let startedAt = performance.now();
    const server = await start(dir, null);
    const emptyStartMs = performance.now() - startedAt;
    const link = await RespLink.open(LOOPBACK, server.port);
    progress(`filling ${KEY_COUNT} keys`);
    await fill(link);
    const fillRssBytes = readRssBytes(server.pid) ?? 0;
    progress('snapshot, no load');
    const snapshot = await snapshotOnce(link, server.pid);
    const loadFile = join(dir, 'load.rdb');
    copyFileSync(join(dir, 'dump.rdb'), loadFile);
    progress('redis-benchmark -P 16, no snapshot');
    const rps = await benchmark(tool, server.port);
    progress('redis-benchmark -P 16, a snapshot every 3 s');
    const during = await benchmarkDuringSnapshots(tool, server.port, link);
    link.close();
    await server.stop();
    progress('load');
    startedAt = performance.now();
    const loaded = await start(dir, loadFile);
    const loadMs = performance.now() - startedAt;
    const loadedLink = await RespLink.open(LOOPBACK, loaded.port);
    const loadedKeys = Number(await loadedLink.ok('DBSIZE'));
    const loadedRssBytes = readRssBytes(loaded.pid) ?? 0;
    loadedLink.close();
    await loaded.stop();
    return {
      emptyStartMs,
      fillRssBytes,
      ...snapshot,
      fileBytes: statSync(loadFile).size,
      loadMs,
      loadedRssBytes,
      loadedKeys,
      rps,
      rpsDuringSnapshots: during.rps,
      snapshotsDuringRun: during.snapshots,
      heldBytesUnderWrites: during.heldBytesMax,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1M keys in MSETs of 1000, a few in flight. */
async function fill(link: RespLink): Promise<void> {
  const inFlight: Array<Promise<unknown>> = [];
  for (let from = 0; from < KEY_COUNT; from += MSET_PAIRS) {
    const words = ['MSET'];
    for (let i = from; i < Math.min(KEY_COUNT, from + MSET_PAIRS); i++) {
      words.push(
        `key:${String(i).padStart(12, '0')}`,
        randomBytes(VALUE_BYTES / 2).toString('hex'),
      );
    }
    inFlight.push(link.ok(...words));
    if (inFlight.length >= MSETS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** BGSAVE, then waits until it is on disk, sampling resident memory meanwhile. */
async function snapshotOnce(link: RespLink, pid: number) {
  const rssBefore = readRssBytes(pid) ?? 0;
  let rssMax = rssBefore;
  const startedAt = performance.now();
  await link.ok('BGSAVE');
  while ((await link.info('persistence', 'rdb_bgsave_in_progress')) !== '0') {
    rssMax = Math.max(rssMax, readRssBytes(pid) ?? 0);
    await sleep(POLL_MS);
  }
  const snapshotMs = performance.now() - startedAt;
  if ((await link.info('persistence', 'rdb_last_bgsave_status')) !== 'ok') {
    throw new Error('the snapshot failed');
  }
  return {
    snapshotMs,
    snapshotExtraRssBytes: rssMax - rssBefore,
    snapshotHeldBytes: Number(await link.info('persistence', 'rdb_last_cow_size')),
  };
}

function benchmark(tool: string, port: number): Promise<Record<string, number>> {
  const toolArgs = [
    ...['-h', LOOPBACK, '-p', String(port), '-t', 'set,get', '-P', '16', '-c', '50'],
    ...['-n', String(BENCHMARK_REQUESTS), '-r', String(KEY_COUNT), '-d', String(VALUE_BYTES)],
    '--csv',
  ];
  return new Promise((resolve, reject) => {
    execFile(tool, toolArgs, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error !== null) {
        reject(error);
        return;
      }
      const { rows } = parseRedisBenchmarkCsv(stdout);
      resolve(Object.fromEntries(rows.map((row) => [row.test, row.requestsPerSec])));
    });
  });
}

/** The same run with a snapshot every SNAPSHOT_EVERY_MS (or back to back, when one takes
 * longer): the same snapshot work per second for both servers. Back to back would make the
 * faster snapshotter do more of them, and look the worse for it. */
async function benchmarkDuringSnapshots(tool: string, port: number, link: RespLink) {
  let running = true;
  let snapshots = 0;
  let heldBytesMax = 0;
  const loop = (async () => {
    while (running) {
      const startedAt = performance.now();
      await link.ok('BGSAVE');
      while ((await link.info('persistence', 'rdb_bgsave_in_progress')) !== '0') {
        await sleep(POLL_MS);
      }
      snapshots++;
      const held = Number(await link.info('persistence', 'rdb_last_cow_size'));
      heldBytesMax = Math.max(heldBytesMax, held);
      while (running && performance.now() - startedAt < SNAPSHOT_EVERY_MS) await sleep(POLL_MS);
    }
  })();
  try {
    return { rps: await benchmark(tool, port), snapshots, heldBytesMax };
  } finally {
    running = false;
    await loop;
  }
}

async function startHausWith(shards: number, file: string | null, dir: string): Promise<Server> {
  const snapshotFile = file ?? join(dir, 'dump.rdb');
  return startHaus({ shards, protocol: 'resp', extraArgs: ['--snapshot-file', snapshotFile] });
}

/** redis-server writing dump.rdb in `dir`, or loading `file` at start; snapshots only when
 * asked (no save points, so none at shutdown either), no AOF. */
async function startRedisWith(command: string, dir: string, file: string | null) {
  const port = await freePort();
  const args = [
    ...['--port', String(port), '--bind', LOOPBACK, '--save', '', '--appendonly', 'no'],
    ...['--dir', file === null ? dir : dirname(file)],
    ...['--dbfilename', file === null ? 'dump.rdb' : basename(file)],
    ...['--protected-mode', 'no', '--loglevel', 'warning', '--logfile', ''],
  ];
  const child = spawn(command, args, { stdio: 'ignore' });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error('redis-server did not start');
    // Redis answers -LOADING while it loads: serving means PONG.
    const link = await RespLink.open(LOOPBACK, port).catch(() => null);
    const reply = await link?.call('PING');
    link?.close();
    if (reply === 'PONG') break;
    await sleep(POLL_MS);
  }
  const pid = child.pid as number;
  return {
    port,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function formatTable(shards: number, haus: Figures, redis: Figures): string {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ops = (value: number | undefined) =>
    value === undefined ? '-' : `${Math.round(value / 1000)}k`;
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
  const rows: Array<[string, string, string, string]> = [
    [
      'snapshot of 1M keys, no load (BGSAVE to file on disk)',
      s(haus.snapshotMs),
      s(redis.snapshotMs),
      ratio(haus.snapshotMs, redis.snapshotMs),
    ],
    ['file size', mb(haus.fileBytes), mb(redis.fileBytes), ratio(haus.fileBytes, redis.fileBytes)],
    [
      'resident memory with 1M keys',
      mb(haus.fillRssBytes),
      mb(redis.fillRssBytes),
      ratio(haus.fillRssBytes, redis.fillRssBytes),
    ],
    [
      'extra memory while snapshotting, no load: held serialized (Haus) / copy-on-write (Redis)',
      mb(haus.snapshotHeldBytes),
      mb(redis.snapshotHeldBytes),
      '',
    ],
    [
      'extra resident memory of the server process while snapshotting, no load',
      mb(haus.snapshotExtraRssBytes),
      mb(redis.snapshotExtraRssBytes),
      '',
    ],
    [
      'the same, most in one snapshot under the P=16 SETs',
      mb(haus.heldBytesUnderWrites),
      mb(redis.heldBytesUnderWrites),
      '',
    ],
    [
      'start with 1M keys until PONG (load)',
      s(haus.loadMs),
      s(redis.loadMs),
      ratio(haus.loadMs, redis.loadMs),
    ],
    ['  (start with no file)', s(haus.emptyStartMs), s(redis.emptyStartMs), ''],
    ['keys after load', String(haus.loadedKeys), String(redis.loadedKeys), ''],
    [
      'resident memory after load',
      mb(haus.loadedRssBytes),
      mb(redis.loadedRssBytes),
      ratio(haus.loadedRssBytes, redis.loadedRssBytes),
    ],
  ];
  for (const test of ['SET', 'GET']) {
    rows.push([
      `${test} -P 16 ops/s, no snapshot`,
      ops(haus.rps[test]),
      ops(redis.rps[test]),
      ratio(haus.rps[test] ?? 0, redis.rps[test] ?? 0),
    ]);
    rows.push([
      `${test} -P 16 ops/s, a snapshot every 3 s`,
      ops(haus.rpsDuringSnapshots[test]),
      ops(redis.rpsDuringSnapshots[test]),
      ratio(haus.rpsDuringSnapshots[test] ?? 0, redis.rpsDuringSnapshots[test] ?? 0),
    ]);
  }
  rows.push([
    'snapshots completed during those two runs',
    String(haus.snapshotsDuringRun),
    String(redis.snapshotsDuringRun),
    '',
  ]);
  const lines = [
    `Snapshots: ${KEY_COUNT.toLocaleString('en')} keys (16-byte keys, ${VALUE_BYTES}-byte values); Haus with ${shards} shards against Redis (one machine, shared cores)`,
    '',
    '| | Haus | Redis | Haus/Redis |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}
