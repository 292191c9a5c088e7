/**
 * Plain writes of several keys, run as a COMMIT (commit.ts) instead of a general atomic run
 * (atomic-run.ts): an MSET or a DEL/UNLINK whose keys are on several shards, and an EXEC whose
 * queued commands are all `SET key value` (no options) and that watches nothing. Each key
 * (and value) becomes a buffered write; the writes are locked in the global lock order and
 * sent as one part per shard, undone everywhere if a shard fails. A commit's put is what SET
 * without options does on the shard (store.put: the value, no expiry, watchers told), its
 * delete what DEL does (store.remove, answering whether the key was there), so the outcome is
 * the command's; what goes is the general run's plan per command, its command rows with a
 * callback each and its reply merging (redis-benchmark -t mset -P 16 -r 100000: 1.28x; MULTI,
 * 4 SETs, EXEC pipelined: 1.09x; DEL: see README, Performance).
 */
import type { CommandCall } from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import type { ArgRanges } from '../shards/batch-builder.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { compareLockOrder } from './lock-table.js';
import { type BufferedWrite, bufferedWrite } from './transaction.js';

/** True for an MSET of keys and values (else runAtomic answers the arity error, as Redis
 * does). */
export function isPlainMset(call: CommandCall): boolean {
  return call.spec.name === 'mset' && call.count >= 3 && call.count % 2 === 1;
}

/** True for a DEL or UNLINK (of one key or more). */
export function isDel(call: CommandCall): boolean {
  return call.spec.code === CommandCode.del;
}

/** True for an EXEC of `SET key value` commands only (at least one). */
export function isPlainSetExec(calls: readonly CommandCall[]): boolean {
  return calls.length > 0 && calls.every((call) => call.spec.name === 'set' && call.count === 3);
}

/** Each key of the calls (at argument 1, 3, ... below `count`, its value right after) as a
 * write, in the global lock order; a key given twice keeps its last value, as MSET and a
 * sequence of SETs do. Keys and values are copied (the request's bytes may be reused once this
 * turn ends, and the commit may wait for a lock), each pair into one buffer, as a
 * transaction's. */
export function setWrites(calls: readonly CommandCall[], router: ShardRouter): BufferedWrite[] {
  const writes = new Map<string, BufferedWrite>();
  for (const { args, count } of calls) {
    for (let i = 1; i < count; i += 2) {
      const write = writeOf(
        args,
        i,
        args.starts[i + 1] as number,
        args.ends[i + 1] as number,
        router,
      );
      writes.set(write.keyId, write);
    }
  }
  return [...writes.values()].sort(compareLockOrder);
}

/** A DEL's keys as deletes, in the global lock order; a key named twice is deleted once (and
 * counted once, as Redis counts it). Copied, as setWrites' are. */
export function delWrites(call: CommandCall, router: ShardRouter): BufferedWrite[] {
  const writes = new Map<string, BufferedWrite>();
  for (let i = 1; i < call.count; i++) {
    const write = writeOf(call.args, i, -1, -1, router);
    writes.set(write.keyId, write);
  }
  return [...writes.values()].sort(compareLockOrder);
}

/** Argument `keyIndex` as the key of a buffered write (transaction.ts bufferedWrite): a PUT
 * of `args.bytes[valueStart, valueEnd)`, or a DEL when `valueStart` is -1. */
function writeOf(
  args: ArgRanges,
  keyIndex: number,
  valueStart: number,
  valueEnd: number,
  router: ShardRouter,
): BufferedWrite {
  const keyStart = args.starts[keyIndex] as number;
  const keyEnd = args.ends[keyIndex] as number;
  const stripe = router.stripeOf(args.bytes, keyStart, keyEnd);
  return bufferedWrite(args.bytes, keyStart, keyEnd, valueStart, valueEnd, {
    shard: router.shardOfStripe(stripe),
    stripe,
    keyId: args.bytes.toString('latin1', keyStart, keyEnd),
  });
}
