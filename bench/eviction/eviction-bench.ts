/**
 * `npm run bench -- --eviction`: expiry and eviction against Redis (SPEC.md section 8), three
 * measurements in one run, each Haus and Redis side by side:
 * - hit ratios of every eviction policy on a Zipf(0.99) trace over 1M keys with memory for
 *   about 10 % of them (hit-ratios.ts);
 * - memory per key at 1M keys, with and without an expiry (memory-per-key.ts);
 * - the dip of a P=16 load while 1M keys expire at once, never read (expiry-dip.ts).
 * The report goes to stdout and bench/results/eviction/latest.md (with latest.json). A full
 * run takes about 15 minutes. HAUS_BENCH_EVICTION_REQUESTS sets the trace's length (default
 * 3M), HAUS_BENCH_EVICTION_PARTS a subset (hits,memory,expiry).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from '../args.js';
import { type DipRow, measureExpiryDip } from './expiry-dip.js';
import { CAPACITY_KEYS, type HitRatioReport, measureHitRatios, TRACE } from './hit-ratios.js';
import { type MemoryRow, measureMemoryPerKey } from './memory-per-key.js';

const MIB = 1024 * 1024;
const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/eviction/', import.meta.url));

export async function runEvictionBench(args: BenchArgs): Promise<number> {
  const requests = Number(process.env.HAUS_BENCH_EVICTION_REQUESTS ?? 3_000_000);
  const parts = (process.env.HAUS_BENCH_EVICTION_PARTS ?? 'hits,memory,expiry').split(',');
  const hits = parts.includes('hits')
    ? await measureHitRatios({ shards: args.shards, requests })
    : null;
  const memory = parts.includes('memory') ? await measureMemoryPerKey(args.shards) : null;
  const dips = parts.includes('expiry') ? await measureExpiryDip(args.shards) : null;
  const report = formatReport(args.shards, hits, memory, dips);
  process.stdout.write(`\n${report}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}latest.md`, report);
  writeFileSync(
    `${RESULTS_DIR}latest.json`,
    `${JSON.stringify({ shards: args.shards, hits, memory, dips }, null, 2)}\n`,
  );
  process.stderr.write(`wrote ${RESULTS_DIR}latest.md and latest.json\n`);
  return 0;
}

const percent = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;

function formatReport(
  shards: number,
  hits: HitRatioReport | null,
  memory: MemoryRow[] | null,
  dips: DipRow[] | null,
): string {
  const lines: string[] = [`# Expiry and eviction, Haus (${shards} shards) and Redis`, ''];
  if (hits !== null) lines.push(...formatHits(hits), '');
  if (memory !== null) lines.push(...formatMemory(memory), '');
  if (dips !== null) lines.push(...formatDips(dips), '');
  return `${lines.join('\n')}\n`;
}

function formatHits(report: HitRatioReport): string[] {
  const lines = [
    `## Hit ratios: Zipf(${TRACE.exponent}) over ${TRACE.keys / 1e6}M keys, ` +
      `${report.requests / 1e6}M requests, cache-aside, 1 KiB values`,
    '',
    `Memory for ~${CAPACITY_KEYS / 1000}k keys (10 %): Redis maxmemory ` +
      `${(report.redisMaxmemoryBytes / MIB).toFixed(0)} MiB (used_memory of 100k keys), Haus ` +
      `--max-memory ${(report.hausMaxMemoryBytes / MIB).toFixed(0)} MiB (RSS, calibrated to ` +
      `hold 100k keys under allkeys-lru). A cache that always held the 100k hottest keys would ` +
      `hit ${percent(report.idealHitRatio)}.`,
    '',
    '| policy | Haus hits | Redis hits | Haus - Redis | keys held, Haus / Redis | evicted, Haus / Redis | SETs refused, Haus / Redis |',
    '| --- | --: | --: | --: | --: | --: | --: |',
  ];
  const policies = [...new Set(report.rows.map((row) => row.policy))];
  for (const policy of policies) {
    const haus = report.rows.find((row) => row.policy === policy && row.kind === 'Haus');
    const redis = report.rows.find((row) => row.policy === policy && row.kind === 'Redis');
    if (haus === undefined || redis === undefined) continue;
    const points = ((haus.hitRatio - redis.hitRatio) * 100).toFixed(2);
    lines.push(
      `| ${policy} | ${percent(haus.hitRatio)} | ${percent(redis.hitRatio)} | ${points} points | ` +
        `${haus.keysHeld} / ${redis.keysHeld} | ${haus.evictedKeys} / ${redis.evictedKeys} | ` +
        `${haus.refusedSets} / ${redis.refusedSets} |`,
    );
  }
  return lines;
}

function formatMemory(rows: MemoryRow[]): string[] {
  const lines = [
    '## Memory per key: 1M keys, 16-byte keys, 32-byte values',
    '',
    '| keys | Haus RSS | Redis used_memory | Redis RSS | Haus RSS / Redis used_memory |',
    '| --- | --: | --: | --: | --: |',
  ];
  for (const withExpiry of [false, true]) {
    const haus = rows.find((row) => row.kind === 'Haus' && row.withExpiry === withExpiry);
    const redis = rows.find((row) => row.kind === 'Redis' && row.withExpiry === withExpiry);
    if (haus === undefined || redis === undefined) continue;
    const used = redis.usedMemoryBytesPerKey ?? Number.NaN;
    lines.push(
      `| ${withExpiry ? 'with an expiry (EX 3600)' : 'without expiry'} | ` +
        `${haus.rssBytesPerKey.toFixed(0)} B | ${used.toFixed(0)} B | ` +
        `${redis.rssBytesPerKey.toFixed(0)} B | ${(haus.rssBytesPerKey / used).toFixed(2)}x |`,
    );
  }
  return lines;
}

function formatDips(rows: DipRow[]): string[] {
  const lines = [
    '## Active expiry under load: 1M keys expire at once, never read; P=16 load (20 connections, 9:1 GET:SET on 100k other keys)',
    '',
    '| server | ops/s, the 4 s before | ops/s, until all are gone | dip | all gone after | RSS before -> after |',
    '| --- | --: | --: | --: | --: | --: |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.kind} | ${row.opsPerSecondBefore.toFixed(0)} | ` +
        `${row.opsPerSecondWhileExpiring.toFixed(0)} | ${(row.dip * 100).toFixed(1)} % | ` +
        `${row.goneAfterMs < 0 ? 'not within 30 s' : `${row.goneAfterMs} ms`} | ` +
        `${(row.rssBeforeBytes / MIB).toFixed(0)} -> ${(row.rssAfterBytes / MIB).toFixed(0)} MiB |`,
    );
  }
  return lines;
}
