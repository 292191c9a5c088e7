/**
 * Key to shard: xxhash32 of the key's UTF-8 bytes. Its low bits are the key's lock stripe
 * (lock-table.ts), and the shard is the stripe modulo the shard count, so a stripe's keys all
 * live on one shard and "shard, then stripe" is one global order of stripes: the order commits
 * lock in. Hashing the raw bytes means the main thread never decodes a key to route it. The
 * mapping only has to be stable for the life of the process: there is no persistence to stay
 * compatible with.
 */
import xxhash from 'xxhash-wasm';
import { lockStripeMask } from '../coordinator/lock-table.js';

/** Fixed seed: any value works, zero is xxhash's own default. */
const hashSeed = 0;

export class ShardRouter {
  readonly shardCount: number;
  private readonly h32Raw: (input: Uint8Array, seed?: number) => number;

  private constructor(shardCount: number, h32Raw: (input: Uint8Array, seed?: number) => number) {
    this.shardCount = shardCount;
    this.h32Raw = h32Raw;
  }

  static async create(shardCount: number): Promise<ShardRouter> {
    const { h32Raw } = await xxhash();
    return new ShardRouter(shardCount, h32Raw);
  }

  /** The lock stripe of the key `bytes[start, end)`. */
  stripeOf(bytes: Uint8Array, start: number, end: number): number {
    return this.h32Raw(bytes.subarray(start, end), hashSeed) & lockStripeMask;
  }

  /** The shard that owns the keys of `stripe`. */
  shardOfStripe(stripe: number): number {
    return stripe % this.shardCount;
  }
}
