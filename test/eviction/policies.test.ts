/**
 * What each eviction policy takes, on small crafted stores (a shard's ShardStore and Evictor,
 * in-process, with a fake clock): volatile-* never take a key without expiry, volatile-ttl
 * takes the one that expires soonest, LRU the least recently used, LFU the least used,
 * noeviction nothing, and no policy takes a key a commit in flight holds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type EvictionPolicy, evictionPolicies } from '../../src/config/eviction-policies.js';
import { Evictor } from '../../workers/eviction.js';
import { entryOverheadBytes, ShardStore } from '../../workers/shard-store.js';

/** A store and its evictor on a clock the test moves. */
function storeWith(policy: EvictionPolicy) {
  let nowMs = 1_000_000;
  const store = new ShardStore({ policy, clock: () => nowMs });
  const evictor = new Evictor(store, policy);
  return {
    store,
    /** Moves the clock on, as a new batch would see it. */
    advance(ms: number) {
      nowMs += ms;
      store.tick();
    },
    /** Evicts one key's worth of data (every key here is one byte of key and value each). */
    evictOne(): number {
      return evictor.evict(1, performance.now() + 1_000);
    },
    at: (ms: number) => nowMs + ms,
  };
}

function keysOf(store: ShardStore): string[] {
  return [...store.keys()].sort();
}

describe('every policy on a crafted store', () => {
  test('noeviction evicts nothing', () => {
    const { store, evictOne } = storeWith('noeviction');
    store.set('a', '1', 0);
    assert.equal(evictOne(), 0);
    assert.deepEqual(keysOf(store), ['a']);
    assert.equal(store.evictedKeys, 0);
  });

  test('allkeys-lru evicts the key used least recently, a read or a write being a use', () => {
    const { store, advance, evictOne } = storeWith('allkeys-lru');
    for (const key of ['a', 'b', 'c', 'd']) {
      store.set(key, '1', 0);
      advance(10);
    }
    store.get('a');
    advance(10);
    store.set('b', '2', 0);
    advance(10);
    assert.equal(evictOne(), 2 + entryOverheadBytes);
    assert.deepEqual(keysOf(store), ['a', 'b', 'd']);
    evictOne();
    assert.deepEqual(keysOf(store), ['a', 'b']);
    assert.equal(store.evictedKeys, 2);
  });

  test('allkeys-lfu evicts the key used least often', () => {
    const { store, advance, evictOne } = storeWith('allkeys-lfu');
    const uses = { a: 5, b: 1, c: 3, d: 8 };
    for (const [key, count] of Object.entries(uses)) {
      store.set(key, '1', 0);
      for (let i = 1; i < count; i++) store.get(key);
      advance(10);
    }
    evictOne();
    assert.deepEqual(keysOf(store), ['a', 'c', 'd']);
    evictOne();
    assert.deepEqual(keysOf(store), ['a', 'd']);
  });

  test('allkeys-random evicts some key until none is left', () => {
    const { store, evictOne } = storeWith('allkeys-random');
    for (const key of ['a', 'b', 'c']) store.set(key, '1', 0);
    evictOne();
    assert.equal(store.size, 2);
    evictOne();
    evictOne();
    assert.equal(store.size, 0);
    assert.equal(evictOne(), 0, 'nothing left to evict');
  });

  for (const policy of [
    'volatile-lru',
    'volatile-lfu',
    'volatile-random',
    'volatile-ttl',
  ] as const) {
    test(`${policy} evicts only keys with an expiry, and nothing once none is left`, () => {
      const { store, advance, evictOne, at } = storeWith(policy);
      // Keys without expiry are the oldest and least used: the ones any other policy would take.
      for (const key of ['p1', 'p2', 'p3']) store.set(key, '1', 0);
      advance(100);
      for (const key of ['v1', 'v2']) {
        store.set(key, '1', at(60_000));
        for (let i = 0; i < 5; i++) store.get(key);
        advance(10);
      }
      assert.ok(evictOne() > 0);
      assert.ok(evictOne() > 0);
      assert.deepEqual(keysOf(store), ['p1', 'p2', 'p3']);
      assert.equal(evictOne(), 0, 'keys without expiry stay');
      assert.deepEqual(keysOf(store), ['p1', 'p2', 'p3']);
    });
  }

  test('volatile-ttl evicts the key that expires soonest', () => {
    const { store, evictOne, at } = storeWith('volatile-ttl');
    store.set('none', '1', 0);
    store.set('later', '1', at(50_000));
    store.set('soonest', '1', at(5_000));
    store.set('latest', '1', at(90_000));
    store.set('soon', '1', at(20_000));
    evictOne();
    assert.deepEqual(keysOf(store), ['later', 'latest', 'none', 'soon']);
    evictOne();
    assert.deepEqual(keysOf(store), ['later', 'latest', 'none']);
  });

  test('volatile-lru evicts the key with an expiry used least recently', () => {
    const { store, advance, evictOne, at } = storeWith('volatile-lru');
    store.set('persistent-oldest', '1', 0);
    advance(10);
    for (const key of ['x', 'y', 'z']) {
      store.set(key, '1', at(60_000));
      advance(10);
    }
    store.get('x');
    advance(10);
    evictOne();
    assert.deepEqual(keysOf(store), ['persistent-oldest', 'x', 'z']);
  });

  test('a sampled key whose expiry time passed goes as expired, not evicted', () => {
    const { store, advance, evictOne, at } = storeWith('allkeys-lru');
    store.set('old', '1', at(50));
    store.set('fresh', '1', 0);
    advance(100);
    assert.ok(evictOne() > 0);
    assert.deepEqual(keysOf(store), ['fresh']);
    assert.equal(store.expiredKeys, 1);
    assert.equal(store.evictedKeys, 0);
  });
});

describe('keys a commit in flight holds', () => {
  for (const policy of evictionPolicies.filter((name) => name !== 'noeviction')) {
    test(`${policy} never evicts them, from its txApply to its txForget`, () => {
      const { store, advance, evictOne, at } = storeWith(policy);
      const expireAt = at(60_000);
      // The commit's keys are the best victims for every policy: oldest, least used, soonest.
      store.beginCommitPart(7);
      store.txWrite('tx-new', '1');
      store.txWrite('tx-old', '2');
      store.endCommitPart();
      store.setExpireAt('tx-new', at(1_000));
      store.setExpireAt('tx-old', at(1_000));
      advance(100);
      for (let i = 0; i < 20; i++) {
        store.set(`k${i}`, '1', expireAt);
        store.get(`k${i}`);
        store.get(`k${i}`);
      }
      advance(100);
      while (evictOne() > 0) {}
      assert.deepEqual(keysOf(store), ['tx-new', 'tx-old'], 'only the commit is left');
      store.forget(7);
      while (evictOne() > 0) {}
      assert.equal(store.size, 0, 'once forgotten, they may go');
    });
  }
});

test('data bytes count keys, values and an overhead per key, through every change', () => {
  const { store, evictOne, advance, at } = storeWith('allkeys-lru');
  const bytesOf = (entries: Array<[string, string]>) =>
    entries.reduce((sum, [k, v]) => sum + k.length + v.length + entryOverheadBytes, 0);
  store.set('alpha', 'x'.repeat(100), 0);
  store.set('beta', 'y'.repeat(10), at(1_000));
  assert.equal(
    store.dataBytes,
    bytesOf([
      ['alpha', 'x'.repeat(100)],
      ['beta', 'y'.repeat(10)],
    ]),
  );
  store.set('alpha', 'short', 0);
  assert.equal(
    store.dataBytes,
    bytesOf([
      ['alpha', 'short'],
      ['beta', 'y'.repeat(10)],
    ]),
  );
  store.remove('alpha');
  assert.equal(store.dataBytes, bytesOf([['beta', 'y'.repeat(10)]]));
  advance(2_000);
  assert.equal(store.get('beta'), undefined);
  assert.equal(store.dataBytes, 0);
  store.set('gamma', 'z', 0);
  evictOne();
  assert.equal(store.dataBytes, 0);
  assert.equal(store.report().keys, 0);
});
