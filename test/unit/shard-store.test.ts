import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardStore } from '../../workers/shard-store.js';

/** Values are byte strings: UTF-8 text as one character a byte. */
const bytesOf = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

test('the largest-reply bound follows puts, overwrites, deletes and undone commits', () => {
  const store = new ShardStore();
  assert.equal(store.largestReplyBytesBound(), 0);
  // Small values count at their worst case (6 bytes a character) without being scanned.
  store.put('small', 'x'.repeat(10));
  assert.equal(store.largestReplyBytesBound(), 60);
  store.put('big', 'y'.repeat(5000));
  assert.ok(store.largestReplyBytesBound() >= 5000 && store.largestReplyBytesBound() < 10_000);
  store.put('big', 'short');
  assert.equal(store.largestReplyBytesBound(), 60);
  store.beginCommitPart(1);
  store.txWrite('huge', 'z'.repeat(70_000));
  store.endCommitPart();
  assert.ok(store.largestReplyBytesBound() >= 70_000);
  store.undo(1);
  assert.equal(store.largestReplyBytesBound(), 60);
  assert.equal(store.get('huge'), undefined);
  store.put('big', 'y'.repeat(5000));
  store.delete('big');
  assert.equal(store.largestReplyBytesBound(), 60);
});

test('small values only raise a high-water mark, which deleting them leaves', () => {
  const store = new ShardStore();
  store.put('a', 'x'.repeat(1024));
  assert.equal(store.largestReplyBytesBound(), 6 * 1024);
  store.put('a', 'short');
  store.delete('a');
  assert.equal(store.largestReplyBytesBound(), 6 * 1024);
  assert.equal(store.size, 0);
});

test('the bound counts reply bytes: multi-byte characters and escaping', () => {
  const store = new ShardStore();
  store.put('euro', bytesOf('€'.repeat(2000)));
  assert.ok(store.largestReplyBytesBound() >= 6000, 'a € is 3 bytes');
  store.put('ctl', '\u0001'.repeat(2000));
  assert.ok(store.largestReplyBytesBound() >= 12_000, 'a control character is \\u0001');
  store.put('ctl', 'plain');
  store.delete('euro');
  assert.equal(store.largestReplyBytesBound(), 30, "back to the small values' mark: 'plain'");
});

test('a value is marked for escaping when stored, and unmarked when replaced or deleted', () => {
  const store = new ShardStore();
  store.put('k', 'plain');
  assert.equal(store.needsEscape('k'), false);
  store.put('k', 'has "quotes"');
  assert.equal(store.needsEscape('k'), true);
  store.put('k', 'plain again');
  assert.equal(store.needsEscape('k'), false);
  store.put('k', bytesOf('line\u2028separator'));
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
  store.txWrite('b', 'b1'.repeat(1000));
  store.txWrite('a', 'a2');
  store.txWrite('c', undefined);
  store.endCommitPart();
  assert.deepEqual(
    [store.get('a'), store.get('b'), store.get('c')],
    ['a2', 'b1'.repeat(1000), undefined],
  );
  assert.ok(store.largestReplyBytesBound() >= 2000, 'a large value was written');
  store.undo(3);
  assert.deepEqual([store.get('a'), store.get('b'), store.get('c')], ['a0', undefined, 'c0']);
  assert.equal(store.size, 2);
  // The large value's count went with it: only the small values' mark is left.
  assert.equal(store.largestReplyBytesBound(), 12);
});
