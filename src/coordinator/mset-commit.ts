/**
 * MSET of keys on several shards, run as a COMMIT (commit.ts) instead of a general atomic run
 * (atomic-run.ts): each key and value becomes a buffered write, the writes are locked in the
 * global lock order and sent as one part per shard, undone everywhere if a shard fails. A
 * commit's put is what SET without options does on the shard (store.put: the value, no
 * expiry, watchers told), so the outcome is MSET's; what goes is the general run's plan per
 * command, its per-shard command rows with a callback each and its reply merging, which made
 * MSET of random keys the slowest command measured (redis-benchmark -t mset -P 16 -r 100000).
 */
import type { CommandCall } from '../commands/command-call.js';
import { copyRange } from '../protocol/byte-ranges.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { type BufferedWrite, compareLockOrder } from './transaction.js';

/** True for an MSET this module runs: a key and a value each (else runAtomic answers the
 * arity error, as Redis does). */
export function isPlainMset(call: CommandCall): boolean {
  return call.spec.name === 'mset' && call.count >= 3 && call.count % 2 === 1;
}

/** MSET's pairs as writes in the global lock order; a key given twice keeps its last value,
 * as MSET does. Keys and values are copied (the request's bytes may be reused once this turn
 * ends, and the commit may wait for a lock), each pair into one buffer, as a transaction's. */
export function msetWrites(call: CommandCall, router: ShardRouter): BufferedWrite[] {
  const { args } = call;
  const writes = new Map<string, BufferedWrite>();
  for (let i = 1; i < call.count; i += 2) {
    const keyStart = args.starts[i] as number;
    const keyEnd = args.ends[i] as number;
    const valueStart = args.starts[i + 1] as number;
    const valueEnd = args.ends[i + 1] as number;
    const stripe = router.stripeOf(args.bytes, keyStart, keyEnd);
    const keyBytes = keyEnd - keyStart;
    const bytes = Buffer.allocUnsafe(keyBytes + valueEnd - valueStart);
    copyRange(args.bytes, keyStart, keyEnd, bytes, 0);
    copyRange(args.bytes, valueStart, valueEnd, bytes, keyBytes);
    const keyId = args.bytes.toString('latin1', keyStart, keyEnd);
    writes.set(keyId, {
      shard: router.shardOfStripe(stripe),
      stripe,
      keyId,
      bytes,
      keyBytes,
      isDel: false,
      expireAt: -1,
      onlyExpiry: false,
    });
  }
  return [...writes.values()].sort(compareLockOrder);
}
