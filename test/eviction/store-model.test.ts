/**
 * A shard's store against a model with expiry (a plain Map of value and expiry time): random
 * sequences of SET (with or without an expiry), GET, EXPIRE, PERSIST, DEL, commits that are
 * kept or undone, active expiry steps and a clock moving on (a fake one), compared after every
 * step. What a client can see must match: every read, every expiry time, and the set of live
 * keys; expired keys never come back, whether lazy or active expiry removed them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type EvictionPolicy, evictionPolicies } from '../../src/config/eviction-policies.js';
import { ShardStore } from '../../workers/shard-store.js';

type Entry = { value: string; expireAt: number };

type Op =
  | { kind: 'set'; key: string; value: string; ttlMs: number }
  | { kind: 'get'; key: string }
  | { kind: 'expire'; key: string; ttlMs: number }
  | { kind: 'persist'; key: string }
  | { kind: 'del'; key: string }
  | { kind: 'commit'; writes: Array<{ key: string; value: string | null }>; keep: boolean }
  | { kind: 'advance'; ms: number }
  | { kind: 'activeExpiry' };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const value = fc.string({ maxLength: 6 });
/** 0: no expiry; negative: a time already past (removes the key, as Redis does). */
const ttlMs = fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 60 }));

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key, value, ttlMs }),
  fc.record({ kind: fc.constant('get' as const), key }),
  fc.record({ kind: fc.constant('expire' as const), key, ttlMs }),
  fc.record({ kind: fc.constant('persist' as const), key }),
  fc.record({ kind: fc.constant('del' as const), key }),
  fc.record({
    kind: fc.constant('commit' as const),
    writes: fc.array(fc.record({ key, value: fc.option(value, { nil: null }) }), {
      maxLength: 4,
    }),
    keep: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('activeExpiry' as const) }),
);

function run(policy: EvictionPolicy, ops: readonly Op[]): void {
  let now = 1_000_000;
  const store = new ShardStore({ policy, clock: () => now });
  const model = new Map<string, Entry>();
  const live = (k: string) => {
    const entry = model.get(k);
    if (entry !== undefined && entry.expireAt !== 0 && entry.expireAt <= now) model.delete(k);
    return model.get(k);
  };
  let txId = 1;
  for (const step of ops) {
    store.tick();
    switch (step.kind) {
      case 'set': {
        const expireAt = step.ttlMs === 0 ? 0 : now + step.ttlMs;
        if (expireAt !== 0 && expireAt <= now) {
          // SET with a time already past is refused by the commands; the store is not asked.
          break;
        }
        store.set(step.key, step.value, expireAt);
        model.set(step.key, { value: step.value, expireAt });
        break;
      }
      case 'get':
        assert.equal(store.get(step.key), live(step.key)?.value);
        break;
      case 'expire': {
        // EXPIRE of a live key (the commands check first, as runExpire does).
        const entry = live(step.key);
        assert.equal(store.has(step.key), entry !== undefined);
        if (entry === undefined) break;
        const expireAt = now + step.ttlMs;
        store.setExpireAt(step.key, expireAt);
        if (expireAt <= now) model.delete(step.key);
        else entry.expireAt = expireAt;
        break;
      }
      case 'persist': {
        const entry = live(step.key);
        if (entry === undefined) break;
        store.setExpireAt(step.key, 0);
        entry.expireAt = 0;
        break;
      }
      case 'del':
        assert.equal(store.remove(step.key), live(step.key) !== undefined);
        model.delete(step.key);
        break;
      case 'commit': {
        const id = txId++;
        const before = new Map([...model].map(([k, e]) => [k, { ...e }]));
        store.beginCommitPart(id);
        for (const write of step.writes) {
          store.txWrite(write.key, write.value ?? undefined);
          if (write.value === null) model.delete(write.key);
          else model.set(write.key, { value: write.value, expireAt: 0 });
        }
        store.endCommitPart();
        if (step.keep) {
          store.forget(id);
        } else {
          store.undo(id);
          model.clear();
          for (const [k, e] of before) model.set(k, e);
        }
        break;
      }
      case 'advance':
        now += step.ms;
        break;
      case 'activeExpiry':
        store.expireSome(performance.now() + 1_000);
        break;
    }
    // After every step: the live keys, their values and expiry times are the model's.
    for (const k of [...model.keys()]) live(k);
    assert.deepEqual([...store.keys()].sort(), [...model.keys()].sort());
    for (const [k, entry] of model) {
      assert.equal(store.expireAtOf(k), entry.expireAt, `expiry of ${k}`);
    }
    assert.ok(store.size >= model.size, 'DBSIZE counts at least the live keys');
    const volatileLive = [...model.values()].filter((entry) => entry.expireAt !== 0).length;
    assert.ok(store.volatileSize >= volatileLive);
  }
  // Everything expired is gone once active expiry has run over a quiet store.
  now += 1_000;
  store.tick();
  store.expireSome(performance.now() + 1_000);
  for (const k of [...model.keys()]) live(k);
  assert.equal(store.size, model.size, 'active expiry removed every expired key');
  assert.equal(store.dataBytes > 0, model.size > 0);
}

test('a random sequence of SET, GET, EXPIRE, PERSIST, DEL and commits, on a fake clock, behaves like a model with expiry', () => {
  fc.assert(
    fc.property(fc.constantFrom(...evictionPolicies), fc.array(op, { maxLength: 80 }), run),
    { numRuns: 1000 },
  );
});
