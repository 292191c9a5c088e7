/**
 * Plays a key trace against a cache the way an application uses one (cache-aside): GET the
 * key; on a miss, SET it. Several connections take windows of the trace in turn, each sending a
 * window's GETs at once (pipelined) and then the SETs of its misses, so the cache sees the
 * trace in order but for the interleaving of a few windows, as with any concurrent clients.
 */
import { LOOPBACK } from '../servers.js';
import { encode, ReplyKind, ReplyStream } from './reply-stream.js';

export interface CacheAsideOptions {
  port: number;
  trace: Int32Array;
  /** How many requests of the trace to play, from its start. */
  requests: number;
  valueBytes: number;
  connections: number;
  /** Requests a connection sends at once. */
  window: number;
  /** Words after the value in each SET (an expiry: `EX 3600`). */
  setArgs: string[];
}

export interface CacheAsideResult {
  gets: number;
  hits: number;
  sets: number;
  /** SETs the server refused (-OOM under noeviction and volatile-* policies). */
  refusedSets: number;
  seconds: number;
}

/** The key of key number `n` (16 bytes, as FINDINGS.md's memory figures use). */
export function keyName(n: number): string {
  return `key:${String(n).padStart(12, '0')}`;
}

export async function playCacheAside(options: CacheAsideOptions): Promise<CacheAsideResult> {
  const { port, trace, requests, valueBytes, connections, window, setArgs } = options;
  const value = Buffer.alloc(valueBytes, 'v');
  const getCommand = (n: number) => encode('GET', keyName(n));
  const result: CacheAsideResult = { gets: 0, hits: 0, sets: 0, refusedSets: 0, seconds: 0 };
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    const stream = await ReplyStream.open(LOOPBACK, port);
    try {
      while (next < requests) {
        const from = next;
        const to = Math.min(requests, from + window);
        next = to;
        const gets: Buffer[] = [];
        for (let i = from; i < to; i++) gets.push(getCommand(trace[i] as number));
        const { kinds } = await stream.send(Buffer.concat(gets), to - from);
        const sets: Buffer[] = [];
        for (let i = 0; i < kinds.length; i++) {
          result.gets++;
          if (kinds[i] === ReplyKind.bulk) result.hits++;
          else sets.push(encode('SET', keyName(trace[from + i] as number), value, ...setArgs));
        }
        if (sets.length === 0) continue;
        const answered = await stream.send(Buffer.concat(sets), sets.length);
        result.sets += sets.length;
        result.refusedSets += answered.kinds.filter((kind) => kind === ReplyKind.error).length;
      }
    } finally {
      stream.close();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
