/**
 * Key to shard: xxhash32 of the key's UTF-8 bytes, modulo the shard count. Hashing the raw
 * bytes means the main thread never decodes a key to route it. The mapping only has to be
 * stable for the life of the process: there is no persistence to stay compatible with.
 */
import xxhash from 'xxhash-wasm';

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

  shardOf(bytes: Uint8Array, start: number, end: number): number {
    if (this.shardCount === 1) return 0;
    return (this.h32Raw(bytes.subarray(start, end), hashSeed) >>> 0) % this.shardCount;
  }
}
