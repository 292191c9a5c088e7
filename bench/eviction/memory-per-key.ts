/**
 * Memory per key at 1M keys (16-byte keys, 32-byte values, FINDINGS.md's shape), with and
 * without an expiry, Haus against Redis: Haus's resident memory (RSS) growth, the only measure
 * it has, against Redis's used_memory growth (what Redis counts against maxmemory) and its RSS
 * growth. Each server starts empty for each case; RSS is read after 3 s of rest, once the
 * shards have collected what the load left.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LOOPBACK } from '../servers.js';
import { infoNumber, type Kind, rssOf, startConfigured } from './bench-servers.js';
import { keyName } from './cache-aside.js';
import { encode, ReplyStream } from './reply-stream.js';

const KEYS = 1_000_000;
const CONNECTIONS = 4;
const WINDOW = 1000;

export interface MemoryRow {
  kind: Kind;
  withExpiry: boolean;
  rssBytesPerKey: number;
  /** Redis only. */
  usedMemoryBytesPerKey: number | null;
}

const progress = (text: string) => process.stderr.write(`eviction bench: ${text}\n`);

export async function measureMemoryPerKey(shards: number): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const withExpiry of [false, true]) {
    for (const kind of ['Haus', 'Redis'] as const) {
      rows.push(await measureOne(kind, shards, withExpiry));
      const row = rows[rows.length - 1] as MemoryRow;
      progress(
        `${kind} ${withExpiry ? 'with' : 'without'} expiry: RSS ${row.rssBytesPerKey.toFixed(0)} ` +
          `bytes/key${row.usedMemoryBytesPerKey === null ? '' : `, used_memory ${row.usedMemoryBytesPerKey.toFixed(0)}`}`,
      );
    }
  }
  return rows;
}

async function measureOne(kind: Kind, shards: number, withExpiry: boolean): Promise<MemoryRow> {
  const server = await startConfigured(kind, { shards });
  try {
    await sleep(1_000);
    const rssBefore = rssOf(server);
    const usedBefore = kind === 'Redis' ? await infoNumber(server, 'memory', 'used_memory') : 0;
    const expiry = withExpiry ? ['EX', '3600'] : [];
    let next = 0;
    const worker = async () => {
      const stream = await ReplyStream.open(LOOPBACK, server.server.port);
      try {
        while (next < KEYS) {
          const from = next;
          const to = Math.min(KEYS, from + WINDOW);
          next = to;
          const commands: Buffer[] = [];
          for (let n = from; n < to; n++) {
            const value = `value:${String(n).padStart(26, '0')}`;
            commands.push(encode('SET', keyName(n), value, ...expiry));
          }
          await stream.send(Buffer.concat(commands), to - from);
        }
      } finally {
        stream.close();
      }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    // A shard idle for a second collects what the load left (workers/shard-worker.ts).
    await sleep(3_000);
    const usedAfter = kind === 'Redis' ? await infoNumber(server, 'memory', 'used_memory') : 0;
    return {
      kind,
      withExpiry,
      rssBytesPerKey: (rssOf(server) - rssBefore) / KEYS,
      usedMemoryBytesPerKey: kind === 'Redis' ? (usedAfter - usedBefore) / KEYS : null,
    };
  } finally {
    await server.stop();
  }
}
