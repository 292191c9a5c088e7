/**
 * Writes keys to a server over RESP, pipelined on a few connections: `key:%012d` keys (16
 * bytes, the load generator's shape) with values of a given size, optionally with an expiry.
 * Either a fixed number of keys, or until the server refuses the first write (capacity).
 */

import { encode, ReplyKind, ReplyStream } from '../eviction/reply-stream.js';
import { LOOPBACK } from '../servers.js';

export interface FillOptions {
  port: number;
  valueBytes: number;
  /** Stop after this many keys (or at the first refusal, whichever comes first). */
  keys: number;
  /** `SET ... EX seconds`. */
  expirySeconds?: number;
  /** Stop at the first refused write; otherwise a refusal is an error. */
  untilRefused?: boolean;
  connections?: number;
  /** Commands per pipelined window of one connection. */
  window?: number;
}

export interface FillResult {
  /** Writes answered OK before the first refusal (every connection stops at it). */
  accepted: number;
  /** The first refusal's text, or null when none came. */
  refusal: string | null;
}

export function keyName(n: number): string {
  return `key:${String(n).padStart(12, '0')}`;
}

export async function fill(options: FillOptions): Promise<FillResult> {
  const value = Buffer.alloc(options.valueBytes, 'v');
  const expiry = options.expirySeconds === undefined ? [] : ['EX', String(options.expirySeconds)];
  const window = options.window ?? 500;
  let next = 0;
  let accepted = 0;
  let refusal: string | null = null;
  const worker = async () => {
    const stream = await ReplyStream.open(LOOPBACK, options.port);
    try {
      while (next < options.keys && refusal === null) {
        const from = next;
        const to = Math.min(options.keys, from + window);
        next = to;
        const commands: Buffer[] = [];
        for (let n = from; n < to; n++) commands.push(encode('SET', keyName(n), value, ...expiry));
        const { kinds, errors } = await stream.send(Buffer.concat(commands), to - from);
        for (const kind of kinds) {
          if (kind === ReplyKind.ok) accepted++;
        }
        if (errors.length > 0) {
          if (!options.untilRefused) throw new Error(`SET refused: ${errors[0]}`);
          refusal ??= errors[0] as string;
        }
      }
    } finally {
      stream.close();
    }
  };
  await Promise.all(Array.from({ length: options.connections ?? 4 }, worker));
  return { accepted, refusal };
}
