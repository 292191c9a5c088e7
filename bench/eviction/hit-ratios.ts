/**
 * Hit ratios of every eviction policy, Haus and Redis side by side on one trace (SPEC.md
 * section 8): Zipf(0.99) over 1M keys, cache-aside (GET; SET on a miss, with a one-hour
 * expiry so the volatile-* policies have keys to choose from), 1 KiB values, and memory for
 * about 10 % of the keys on each server.
 *
 * "Memory for 10 % of the keys" is set in each server's own measure, so both hold about the
 * same number of keys and the comparison is of their choices: Redis's maxmemory is the
 * used_memory of 100k such keys (Redis counts used_memory); Haus's --max-memory counts its
 * whole resident memory (over 100 MiB of it is the process itself), so it is calibrated: an
 * allkeys-lru run on the first part of the trace, the limit moved by what the keys held then
 * missed, until Haus holds 100k keys within 1.5 %. Every row reports the keys each server held
 * at the end, so a difference in capacity shows.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { evictionPolicies } from '../../src/config/eviction-policies.js';
import { LOOPBACK } from '../servers.js';
import {
  type Configured,
  dbsize,
  infoNumber,
  type Kind,
  rssOf,
  startConfigured,
} from './bench-servers.js';
import { keyName, playCacheAside } from './cache-aside.js';
import { encode, ReplyStream } from './reply-stream.js';
import { idealHitRatio, zipfTrace } from './zipf-trace.js';

export const TRACE = { keys: 1_000_000, exponent: 0.99, seed: 20261202 };
export const CAPACITY_KEYS = 100_000;
const VALUE_BYTES = 1024;
const TTL_SECONDS = '3600';
const CONNECTIONS = 8;
const WINDOW = 64;
const MIB = 1024 * 1024;

export interface HitRatioRow {
  policy: string;
  kind: Kind;
  hitRatio: number;
  keysHeld: number;
  evictedKeys: number;
  refusedSets: number;
  requestsPerSecond: number;
}

export interface HitRatioReport {
  requests: number;
  idealHitRatio: number;
  redisMaxmemoryBytes: number;
  hausMaxMemoryBytes: number;
  rows: HitRatioRow[];
}

const progress = (text: string) => process.stderr.write(`eviction bench: ${text}\n`);

export async function measureHitRatios(options: {
  shards: number;
  requests: number;
}): Promise<HitRatioReport> {
  const { shards, requests } = options;
  progress(`Zipf(${TRACE.exponent}) trace of ${requests} requests over ${TRACE.keys} keys`);
  const trace = zipfTrace({ ...TRACE, requests });
  const redisMaxmemoryBytes = await redisMemoryFor(CAPACITY_KEYS);
  progress(`Redis: maxmemory ${(redisMaxmemoryBytes / MIB).toFixed(1)} MiB for 100k keys`);
  const hausMaxMemoryBytes = await calibrateHaus(shards, trace, requests);
  const rows: HitRatioRow[] = [];
  for (const policy of evictionPolicies) {
    for (const kind of ['Haus', 'Redis'] as const) {
      const server = await startConfigured(kind, {
        shards,
        haus: ['--max-memory', String(hausMaxMemoryBytes), '--eviction-policy', policy],
        redis: [
          ['maxmemory', String(redisMaxmemoryBytes)],
          ['maxmemory-policy', policy],
        ],
      });
      try {
        const row = await play(server, policy, trace, requests);
        progress(
          `${policy} ${kind}: ${(row.hitRatio * 100).toFixed(2)} % hits, ${row.keysHeld} keys ` +
            `held, ${row.refusedSets} SETs refused, ${row.requestsPerSecond.toFixed(0)} req/s`,
        );
        rows.push(row);
      } finally {
        await server.stop();
      }
    }
  }
  return {
    requests,
    idealHitRatio: idealHitRatio(TRACE.keys, CAPACITY_KEYS, TRACE.exponent),
    redisMaxmemoryBytes,
    hausMaxMemoryBytes,
    rows,
  };
}

async function play(
  server: Configured,
  policy: string,
  trace: Int32Array,
  requests: number,
): Promise<HitRatioRow> {
  const result = await playCacheAside({
    port: server.server.port,
    trace,
    requests,
    valueBytes: VALUE_BYTES,
    connections: CONNECTIONS,
    window: WINDOW,
    setArgs: ['EX', TTL_SECONDS],
  });
  return {
    policy,
    kind: server.kind,
    hitRatio: result.hits / result.gets,
    keysHeld: await dbsize(server),
    evictedKeys: await infoNumber(server, 'stats', 'evicted_keys'),
    refusedSets: result.refusedSets,
    requestsPerSecond: result.gets / result.seconds,
  };
}

/** SETs keys 0 .. count-1 as the trace would (1 KiB values, one-hour expiry). */
async function fill(port: number, count: number): Promise<void> {
  const stream = await ReplyStream.open(LOOPBACK, port);
  const value = Buffer.alloc(VALUE_BYTES, 'v');
  try {
    for (let from = 0; from < count; from += 1000) {
      const commands: Buffer[] = [];
      const to = Math.min(count, from + 1000);
      for (let n = from; n < to; n++) {
        commands.push(encode('SET', keyName(n), value, 'EX', TTL_SECONDS));
      }
      await stream.send(Buffer.concat(commands), to - from);
    }
  } finally {
    stream.close();
  }
}

/** Redis's used_memory holding `count` keys of the trace's kind. */
async function redisMemoryFor(count: number): Promise<number> {
  const redis = await startConfigured('Redis', { shards: 1 });
  try {
    await fill(redis.server.port, count);
    return await infoNumber(redis, 'memory', 'used_memory');
  } finally {
    await redis.stop();
  }
}

/** A --max-memory under which Haus's allkeys-lru holds CAPACITY_KEYS of the trace (5 %). */
async function calibrateHaus(shards: number, trace: Int32Array, requests: number) {
  // A first guess from the memory of 100k keys loaded at rest.
  const probe = await startConfigured('Haus', { shards });
  let limit: number;
  let perKeyBytes: number;
  try {
    const idle = rssOf(probe);
    await fill(probe.server.port, CAPACITY_KEYS);
    await sleep(1_000);
    const loaded = rssOf(probe);
    perKeyBytes = (loaded - idle) / CAPACITY_KEYS;
    limit = Math.round(loaded * 1.25);
  } finally {
    await probe.stop();
  }
  const calibrationRequests = Math.min(requests, 1_500_000);
  // Secant steps on (limit, keys held): RSS per key held under churn is more than at rest.
  let previous: { limit: number; held: number } | null = null;
  for (let round = 1; round <= 6; round++) {
    const haus = await startConfigured('Haus', {
      shards,
      haus: ['--max-memory', String(limit), '--eviction-policy', 'allkeys-lru'],
    });
    let held: number;
    try {
      await play(haus, 'allkeys-lru', trace, calibrationRequests);
      held = await dbsize(haus);
    } finally {
      await haus.stop();
    }
    progress(
      `Haus calibration ${round}: --max-memory ${(limit / MIB).toFixed(0)} MiB held ${held}`,
    );
    if (Math.abs(held - CAPACITY_KEYS) <= CAPACITY_KEYS * 0.015) break;
    const slope =
      previous !== null && previous.held !== held
        ? (limit - previous.limit) / (held - previous.held)
        : perKeyBytes * 1.2;
    previous = { limit, held };
    limit = Math.round(limit + (CAPACITY_KEYS - held) * Math.max(slope, perKeyBytes / 2));
  }
  return limit;
}
