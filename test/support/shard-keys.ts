/**
 * Finds keys that live on a given shard, with the server's own router (the real xxhash
 * mapping), so tests can aim at one shard.
 */
import { ShardRouter } from '../../src/shards/shard-router.js';

export async function keysOnShard(
  shardCount: number,
  shard: number,
  count: number,
  prefix: string,
): Promise<string[]> {
  const router = await ShardRouter.create(shardCount);
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) {
    const key = `${prefix}-${i}`;
    const bytes = Buffer.from(key);
    if (router.shardOfStripe(router.stripeOf(bytes, 0, bytes.length)) === shard) keys.push(key);
  }
  return keys;
}

/** Two keys whose locks are filed in the same stripe (so they also live on one shard), and
 * that shard. */
export async function keysSharingAStripe(
  shardCount: number,
  prefix: string,
): Promise<{ keys: [string, string]; shard: number }> {
  const router = await ShardRouter.create(shardCount);
  const firstKeyOfStripe = new Map<number, string>();
  for (let i = 0; ; i++) {
    const key = `${prefix}-${i}`;
    const bytes = Buffer.from(key);
    const stripe = router.stripeOf(bytes, 0, bytes.length);
    const first = firstKeyOfStripe.get(stripe);
    if (first !== undefined) return { keys: [first, key], shard: router.shardOfStripe(stripe) };
    firstKeyOfStripe.set(stripe, key);
  }
}
