import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LockTable, lockStripeCount } from '../../src/coordinator/lock-table.js';

// Stripes, named like keys for reading.
const [a, b, c, k] = [1, 2, 3, 4];

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

  test('commits on disjoint keys do not wait for each other', () => {
    const locks = new LockTable();
    const order: number[] = [];
    locks.acquireAll(1, [a], () => order.push(1));
    locks.acquireAll(2, [b], () => order.push(2));
    assert.deepEqual(order, [1, 2]);
  });

  test('commands queued on a key run in order before the next queued commit owns it', () => {
    const locks = new LockTable();
    const order: string[] = [];
    locks.acquireAll(1, [k], () => order.push('tx1'));
    locks.waitUntilFree(k, () => order.push('get1'));
    locks.acquireAll(2, [k], () => order.push('tx2'));
    locks.waitUntilFree(k, () => order.push('get2'));
    locks.releaseAll(1, [k]);
    assert.deepEqual(order, ['tx1', 'get1', 'tx2']);
    locks.releaseAll(2, [k]);
    assert.deepEqual(order, ['tx1', 'get1', 'tx2', 'get2']);
    assert.equal(locks.size, 0);
  });

  test('a command on a free key runs at once', () => {
    const locks = new LockTable();
    let ran = false;
    locks.waitUntilFree(k, () => {
      ran = true;
    });
    assert.equal(ran, true);
  });

  test('releasing a lock one does not hold is a programmer error', () => {
    const locks = new LockTable();
    locks.acquireAll(1, [a], () => {});
    assert.throws(() => locks.releaseAll(2, [a]), /does not hold/);
    assert.throws(() => locks.releaseAll(1, [lockStripeCount - 1]), /does not hold/);
  });

  test('locking the same key twice in one commit is a programmer error', () => {
    const locks = new LockTable();
    assert.throws(() => locks.acquireAll(1, [a, a], () => {}), /twice/);
  });

  test('a stripe handed to the next queued commit stays held, and is free after it', () => {
    const locks = new LockTable();
    locks.acquireAll(2 ** 31 - 1, [a], () => {});
    let granted = false;
    locks.acquireAll(1, [a, lockStripeCount - 1], () => {
      granted = true;
    });
    assert.equal(locks.size, 1);
    locks.releaseAll(2 ** 31 - 1, [a]);
    assert.equal(granted, true);
    assert.equal(locks.size, 2);
    assert.equal(locks.isLocked(a), true);
    locks.releaseAll(1, [a, lockStripeCount - 1]);
    assert.equal(locks.size, 0);
    assert.equal(locks.isLocked(a), false);
  });
});
