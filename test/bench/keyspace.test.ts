/** Keys and values of the bench: a value names its key, so a GET can be checked. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keyspace, keyspaceError } from '../../bench/keyspace.js';

const keyspace = new Keyspace({ keys: 100_000, keyBytes: 16, valueBytes: 32 });

test('keys and values have the configured lengths and a value starts with its key', () => {
  assert.equal(keyspace.key(42), 'k000000000000042');
  assert.equal(keyspace.value(42).length, 32);
  assert.ok(keyspace.value(42).startsWith(keyspace.key(42)));
});

test('a value is accepted for its own key only, and only at its full length', () => {
  const value = Buffer.from(`..${keyspace.value(42)}..`);
  assert.equal(keyspace.isValueOf(42, value, 2, 34), true);
  assert.equal(keyspace.isValueOf(43, value, 2, 34), false);
  assert.equal(keyspace.isValueOf(42, value, 2, 33), false);
  assert.equal(keyspace.isValueOf(42, Buffer.from('x'.repeat(32)), 0, 32), false);
});

test('shapes that cannot hold the keyspace are refused with the flag named', () => {
  assert.match(
    keyspaceError({ keys: 1_000_000, keyBytes: 4, valueBytes: 32 }) ?? '',
    /--key-bytes 4/,
  );
  assert.match(keyspaceError({ keys: 10, keyBytes: 16, valueBytes: 8 }) ?? '', /--value-bytes/);
  assert.equal(keyspaceError({ keys: 10, keyBytes: 16, valueBytes: 16 }), null);
});
