/**
 * How the main thread shares evictions among shards (src/coordinator/eviction-budget.ts):
 * memory is shared by all shards, so each gives in proportion to its data (to its data with an
 * expiry, under volatile-*), a shard with nothing to send is sent an empty batch to evict, and
 * the budget follows RSS: it grows while there is room, holds at the limit, and shrinks well
 * over it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvictionPolicy } from '../../src/config/eviction-policies.js';
import { EvictionBudget } from '../../src/coordinator/eviction-budget.js';
import type { ShardHandle } from '../../src/shards/shard-handle.js';

const mib = 1024 * 1024;

function budgetOf(policy: EvictionPolicy, shardCount: number, budgetBytes: number) {
  const evictionRequests = new Array<number>(shardCount).fill(0);
  const shards = evictionRequests.map(
    (_, index) =>
      ({
        requestEviction: () => {
          evictionRequests[index] = (evictionRequests[index] as number) + 1;
        },
      }) as unknown as ShardHandle,
  );
  return { budget: new EvictionBudget(shards, policy, budgetBytes), evictionRequests };
}

test('one shard full of big values gives most of the room; the others give their share', () => {
  const { budget, evictionRequests } = budgetOf('allkeys-lru', 3, 100 * mib);
  const report = (dataBytes: number) => ({ dataBytes, keys: 1000, volatileKeys: 0 });
  budget.answered(0, report(90 * mib), 0, 0);
  budget.answered(1, report(5 * mib), 0, 0);
  budget.answered(2, report(5 * mib), 0, 0);
  // Shard 1 sends 10 MiB of writes: the shards would hold 110 MiB of a 100 MiB budget.
  const shard1Evicts = budget.sending(1, 10 * mib);
  const shard0Evicts = budget.sending(0, 0);
  const shard2Evicts = budget.sending(2, 0);
  const total = shard0Evicts + shard1Evicts + shard2Evicts;
  assert.ok(total >= 10 * mib && total <= 12 * mib, `evicts ${total / mib} MiB`);
  assert.ok(shard0Evicts > 0.75 * total, `the big shard gives ${shard0Evicts / mib} MiB`);
  assert.ok(shard1Evicts > 0 && shard1Evicts < 0.2 * total);
  assert.ok(shard2Evicts > 0 && shard2Evicts < 0.1 * total);
  assert.deepEqual(evictionRequests, [1, 0, 1], 'the others were sent a batch to evict');
  // Until they answer, nothing more is owed for the same excess.
  assert.equal(budget.sending(1, 0), 0);
});

test('volatile-* share evictions by data with an expiry; none left, nothing is asked', () => {
  const { budget } = budgetOf('volatile-lru', 2, 10 * mib);
  budget.answered(0, { dataBytes: 10 * mib, keys: 1000, volatileKeys: 0 }, 0, 0);
  budget.answered(1, { dataBytes: 2 * mib, keys: 1000, volatileKeys: 500 }, 0, 0);
  assert.equal(budget.sending(0, 0), 0, 'shard 0 has no key with an expiry');
  assert.ok(budget.sending(1, 0) > 1.9 * mib);
  assert.equal(budget.volatileKeyCount, 500);
});

test('the budget grows while RSS has room, holds at the limit, and shrinks well over it', () => {
  const { budget } = budgetOf('allkeys-lru', 1, 50 * mib);
  const limit = 200 * mib;
  budget.answered(0, { dataBytes: 50 * mib, keys: 1000, volatileKeys: 0 }, 0, 0);
  budget.adjust(100 * mib, limit, 1_000);
  const grown = budget.budgetBytes;
  assert.ok(grown > 50 * mib, 'room under the limit, and the budget binds: it grows');
  budget.adjust(100 * mib, limit, 1_100);
  assert.equal(budget.budgetBytes, grown, 'at most once per 250 ms');
  budget.adjust(205 * mib, limit, 2_000);
  assert.ok(budget.budgetBytes <= 51.1 * mib && budget.budgetBytes >= 50 * mib, 'held');
  budget.adjust(205 * mib, limit, 3_000);
  assert.ok(budget.budgetBytes >= 50 * mib, 'held again, not cut while RSS stays over');
  budget.adjust(230 * mib, limit, 4_000);
  assert.ok(budget.budgetBytes < 47 * mib, 'well over the limit: a tenth less');
  for (let t = 5_000; t < 100_000; t += 1_000) budget.adjust(300 * mib, limit, t);
  assert.equal(budget.budgetBytes, limit / 64, 'never below a 64th of the limit');
});
