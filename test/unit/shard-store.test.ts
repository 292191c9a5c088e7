import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardStore } from '../../workers/shard-store.js';

test('the largest-reply bound follows puts, overwrites, deletes and undone commits', () => {
  const store = new ShardStore();
  assert.equal(store.largestReplyBytesBound(), 0);
  // Small values count at their worst case (6 bytes a character) without being scanned.
  store.put('small', 'x'.repeat(10));
  assert.equal(store.largestReplyBytesBound(), 63);
  store.put('big', 'y'.repeat(5000));
  assert.ok(store.largestReplyBytesBound() >= 5000 && store.largestReplyBytesBound() < 10_000);
  store.put('big', 'short');
  assert.equal(store.largestReplyBytesBound(), 63);
  store.beginCommitPart(1);
  store.txWrite('huge', 'z'.repeat(70_000));
  store.endCommitPart();
  assert.ok(store.largestReplyBytesBound() >= 70_000);
  store.undo(1);
  assert.equal(store.largestReplyBytesBound(), 63);
  assert.equal(store.get('huge'), undefined);
  store.delete('small');
  store.delete('big');
  assert.equal(store.largestReplyBytesBound(), 0);
});

test('the bound counts reply bytes: multi-byte characters and escaping', () => {
  const store = new ShardStore();
  store.put('euro', '€'.repeat(2000));
  assert.ok(store.largestReplyBytesBound() >= 6000, 'a € is 3 bytes');
  store.put('ctl', '\u0001'.repeat(2000));
  assert.ok(store.largestReplyBytesBound() >= 12_000, 'a control character is \\u0001');
  store.put('ctl', 'plain');
  store.delete('euro');
  assert.equal(store.largestReplyBytesBound(), 31);
});

test('a value is marked for escaping when stored, and unmarked when replaced or deleted', () => {
  const store = new ShardStore();
  store.put('k', 'plain');
  assert.equal(store.needsEscape('k'), false);
  store.put('k', 'has "quotes"');
  assert.equal(store.needsEscape('k'), true);
  store.put('k', 'plain again');
  assert.equal(store.needsEscape('k'), false);
  store.put('k', 'line\u2028separator');
  assert.equal(store.needsEscape('k'), true);
  store.delete('k');
  assert.equal(store.needsEscape('k'), false);
  store.put('other', 'control \u0001');
  store.beginCommitPart(7);
  store.txWrite('other', 'clean');
  store.endCommitPart();
  assert.equal(store.needsEscape('other'), false);
  store.undo(7);
  assert.equal(store.needsEscape('other'), true);
  assert.equal(store.get('other'), 'control \u0001');
});

test('undoing a commit puts back every key it wrote, last write first', () => {
  const store = new ShardStore();
  store.put('a', 'a0');
  store.put('c', 'c0');
  store.beginCommitPart(3);
  store.txWrite('a', 'a1');
  store.txWrite('b', 'b1');
  store.txWrite('a', 'a2');
  store.txWrite('c', undefined);
  store.endCommitPart();
  assert.deepEqual([store.get('a'), store.get('b'), store.get('c')], ['a2', 'b1', undefined]);
  store.undo(3);
  assert.deepEqual([store.get('a'), store.get('b'), store.get('c')], ['a0', undefined, 'c0']);
  assert.equal(store.size, 2);
  // Counts are back too: deleting what is left empties the bound.
  store.delete('a');
  store.delete('c');
  assert.equal(store.largestReplyBytesBound(), 0);
});
