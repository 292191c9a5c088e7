/**
 * Active expiry under load (SPEC.md section 8): 1M keys that all expire at one moment, never
 * read, while 20 connections keep 16 GETs and SETs each in flight (9:1, on 100k other keys).
 * The keys are written before the load starts, with PXAT a fixed time after the write began;
 * the load's throughput over the 4 s before that moment is compared with its throughput from
 * that moment until the server has removed them all (DBSIZE back to the load's keys), which is
 * how long active expiry took. Haus and Redis, the same way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LOOPBACK } from '../servers.js';
import { dbsize, type Kind, rssOf, startConfigured } from './bench-servers.js';
import { keyName } from './cache-aside.js';
import { encode, ReplyStream } from './reply-stream.js';
import { seededRandom } from './zipf-trace.js';

const EXPIRING_KEYS = 1_000_000;
const LOAD_KEYS = 100_000;
const LOAD_CONNECTIONS = 20;
const IN_FLIGHT = 16;
/** The expiring keys expire this long after their first SET (writing them must fit in it). */
const EXPIRE_AFTER_MS = 30_000;
const BASELINE_MS = 4_000;
const WINDOW_MS = 100;
const GONE_TIMEOUT_MS = 30_000;

export interface DipRow {
  kind: Kind;
  opsPerSecondBefore: number;
  opsPerSecondWhileExpiring: number;
  /** 1 - while / before. */
  dip: number;
  /** From the expiry time until DBSIZE was back to the load's keys. */
  goneAfterMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

const progress = (text: string) => process.stderr.write(`eviction bench: ${text}\n`);

export async function measureExpiryDip(shards: number): Promise<DipRow[]> {
  const rows: DipRow[] = [];
  for (const kind of ['Haus', 'Redis'] as const) {
    const row = await measureOne(kind, shards);
    progress(
      `${kind}: ${row.opsPerSecondBefore.toFixed(0)} ops/s before, ` +
        `${row.opsPerSecondWhileExpiring.toFixed(0)} while 1M keys expired ` +
        `(dip ${(row.dip * 100).toFixed(1)} %), gone in ${row.goneAfterMs} ms`,
    );
    rows.push(row);
  }
  return rows;
}

async function write(port: number, commands: (n: number) => Buffer, count: number) {
  let next = 0;
  const worker = async () => {
    const stream = await ReplyStream.open(LOOPBACK, port);
    try {
      while (next < count) {
        const from = next;
        const to = Math.min(count, from + 1000);
        next = to;
        const batch: Buffer[] = [];
        for (let n = from; n < to; n++) batch.push(commands(n));
        await stream.send(Buffer.concat(batch), to - from);
      }
    } finally {
      stream.close();
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function measureOne(kind: Kind, shards: number): Promise<DipRow> {
  const server = await startConfigured(kind, { shards });
  const port = server.server.port;
  try {
    await write(port, (n) => encode('SET', `load:${n}`, 'x'.repeat(32)), LOAD_KEYS);
    const expireAt = Date.now() + EXPIRE_AFTER_MS;
    const value = 'e'.repeat(32);
    await write(
      port,
      (n) => encode('SET', keyName(n), value, 'PXAT', String(expireAt)),
      EXPIRING_KEYS,
    );
    if (Date.now() > expireAt - BASELINE_MS - 1_000) {
      throw new Error(`${kind}: writing 1M keys took too long to leave a baseline`);
    }
    // The load: completed operations counted per window of WINDOW_MS.
    const counts: number[] = [];
    const started = Date.now();
    let stopping = false;
    const random = seededRandom(7);
    const loader = async () => {
      const stream = await ReplyStream.open(LOOPBACK, port);
      try {
        while (!stopping) {
          const batch: Buffer[] = [];
          for (let i = 0; i < IN_FLIGHT; i++) {
            const key = `load:${Math.floor(random() * LOAD_KEYS)}`;
            batch.push(random() < 0.9 ? encode('GET', key) : encode('SET', key, 'y'.repeat(32)));
          }
          await stream.send(Buffer.concat(batch), IN_FLIGHT);
          const window = Math.floor((Date.now() - started) / WINDOW_MS);
          counts[window] = (counts[window] ?? 0) + IN_FLIGHT;
        }
      } finally {
        stream.close();
      }
    };
    const loaders = Array.from({ length: LOAD_CONNECTIONS }, loader);
    // DBSIZE is asked every 250 ms all along, before the expiry time too: on Haus it is an
    // all-shard command that waits for the others, so both windows must pay for it alike.
    let rssBeforeBytes = 0;
    let goneAt = -1;
    while (Date.now() < expireAt + GONE_TIMEOUT_MS) {
      const keys = await dbsize(server);
      if (Date.now() < expireAt) {
        rssBeforeBytes = rssOf(server);
      } else if (keys <= LOAD_KEYS) {
        goneAt = Date.now();
        break;
      }
      await sleep(250);
    }
    await sleep(1_000);
    stopping = true;
    await Promise.all(loaders);
    const rateBetween = (fromMs: number, toMs: number) => {
      const first = Math.floor((fromMs - started) / WINDOW_MS);
      const last = Math.floor((toMs - started) / WINDOW_MS);
      let ops = 0;
      for (let w = first; w < last; w++) ops += counts[w] ?? 0;
      return (ops * 1000) / ((last - first) * WINDOW_MS);
    };
    const end = goneAt === -1 ? expireAt + GONE_TIMEOUT_MS : Math.max(goneAt, expireAt + 500);
    const before = rateBetween(expireAt - BASELINE_MS, expireAt);
    const during = rateBetween(expireAt, end);
    return {
      kind,
      opsPerSecondBefore: before,
      opsPerSecondWhileExpiring: during,
      dip: 1 - during / before,
      goneAfterMs: goneAt === -1 ? -1 : goneAt - expireAt,
      rssBeforeBytes,
      rssAfterBytes: rssOf(server),
    };
  } finally {
    await server.stop();
  }
}
