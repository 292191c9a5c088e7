import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type LockKey, LockTable, lockStripeCount } from '../../src/coordinator/lock-table.js';

/** Keys a, b, c in stripes of their own; a2 and a3 share a's stripe. */
const key = (keyId: string, stripe: number): LockKey => ({ stripe, keyId });
const a = key('a', 1);
const b = key('b', 2);
const c = key('c', 3);
const a2 = key('a2', 1);
const a3 = key('a3', 1);
const last = key('zzz', lockStripeCount - 1);

describe('lock table', () => {
  test('a commit gets free keys at once and leaves no lock after release', () => {
    const locks = new LockTable();
    let granted = false;
    locks.acquireAll(1, [a, b], () => {
      granted = true;
    });
    assert.equal(granted, true);
    assert.equal(locks.size, 2);
    locks.releaseAll(1, [a, b]);
    assert.equal(locks.size, 0);
    assert.equal(locks.isStripeHeld(a.stripe), false);
  });

  test('a second commit on a shared key waits until the first releases', () => {
    const locks = new LockTable();
    const order: string[] = [];
    locks.acquireAll(1, [a, b], () => order.push('tx1'));
    locks.acquireAll(2, [b, c], () => order.push('tx2'));
    assert.deepEqual(order, ['tx1']);
    assert.equal(locks.isLocked(c), false, 'tx2 must wait on b before taking c');
    locks.releaseAll(1, [a, b]);
    assert.deepEqual(order, ['tx1', 'tx2']);
    assert.equal(locks.size, 2);
    locks.releaseAll(2, [b, c]);
    assert.equal(locks.size, 0);
  });

  test('commits on disjoint keys do not wait for each other, in one stripe too', () => {
    const locks = new LockTable();
    const order: number[] = [];
    locks.acquireAll(1, [a], () => order.push(1));
    locks.acquireAll(2, [b], () => order.push(2));
    locks.acquireAll(3, [a2], () => order.push(3));
    locks.acquireAll(4, [a3], () => order.push(4));
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.equal(locks.size, 4);
    assert.equal(locks.isLocked(key('a4', 1)), false, 'a free key of a held stripe');
    let ran = false;
    locks.waitUntilFree(key('a4', 1), () => {
      ran = true;
    });
    assert.equal(ran, true);
  });

  test('keys sharing a stripe are released one by one, each to its own waiters', () => {
    const locks = new LockTable();
    const order: string[] = [];
    locks.acquireAll(1, [a, a2], () => order.push('tx1'));
    locks.acquireAll(2, [a3], () => order.push('tx2'));
    locks.waitUntilFree(a2, () => order.push('get a2'));
    locks.acquireAll(3, [a2], () => order.push('tx3'));
    locks.waitUntilFree(a3, () => order.push('get a3'));
    assert.deepEqual(order, ['tx1', 'tx2']);
    locks.releaseAll(2, [a3]);
    assert.deepEqual(order, ['tx1', 'tx2', 'get a3']);
    assert.equal(locks.isLocked(a), true);
    locks.releaseAll(1, [a, a2]);
    assert.deepEqual(order, ['tx1', 'tx2', 'get a3', 'get a2', 'tx3']);
    assert.equal(locks.size, 1);
    assert.equal(locks.isLocked(a2), true, 'handed to tx3');
    assert.equal(locks.isLocked(a), false);
    locks.releaseAll(3, [a2]);
    assert.equal(locks.size, 0);
    assert.equal(locks.isStripeHeld(a.stripe), false);
  });

  test('commands queued on a key run in order before the next queued commit owns it', () => {
    const locks = new LockTable();
    const order: string[] = [];
    locks.acquireAll(1, [a], () => order.push('tx1'));
    locks.waitUntilFree(a, () => order.push('get1'));
    locks.acquireAll(2, [a], () => order.push('tx2'));
    locks.waitUntilFree(a, () => order.push('get2'));
    locks.releaseAll(1, [a]);
    assert.deepEqual(order, ['tx1', 'get1', 'tx2']);
    locks.releaseAll(2, [a]);
    assert.deepEqual(order, ['tx1', 'get1', 'tx2', 'get2']);
    assert.equal(locks.size, 0);
  });

  test('a command on a free key runs at once', () => {
    const locks = new LockTable();
    let ran = false;
    locks.waitUntilFree(a, () => {
      ran = true;
    });
    assert.equal(ran, true);
  });

  test('a key handed to the next queued commit stays locked, and is free after it', () => {
    const locks = new LockTable();
    locks.acquireAll(2 ** 31 - 1, [a], () => {});
    let granted = false;
    locks.acquireAll(1, [a, last], () => {
      granted = true;
    });
    assert.equal(locks.size, 1);
    locks.releaseAll(2 ** 31 - 1, [a]);
    assert.equal(granted, true);
    assert.equal(locks.size, 2);
    assert.equal(locks.isLocked(a), true);
    locks.releaseAll(1, [a, last]);
    assert.equal(locks.size, 0);
    assert.equal(locks.isLocked(a), false);
  });

  test('releasing a lock one does not hold is a programmer error', () => {
    const locks = new LockTable();
    locks.acquireAll(1, [a], () => {});
    assert.throws(() => locks.releaseAll(2, [a]), /does not hold/);
    assert.throws(() => locks.releaseAll(1, [a2]), /does not hold/);
  });

  test('locking the same key twice in one commit is a programmer error', () => {
    const locks = new LockTable();
    assert.throws(() => locks.acquireAll(1, [a, a], () => {}), /twice/);
  });
});
