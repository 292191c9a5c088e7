/**
 * The LZF decompressor on hand-made inputs: literal runs, overlapping back references, long
 * references, and bad input refused with a reason (strings Redis compressed are read in
 * redis-interop.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lzfDecompress } from '../../workers/rdb/lzf.js';

function text(result: Buffer | string): string {
  assert.ok(Buffer.isBuffer(result), `refused: ${String(result)}`);
  return result.toString('latin1');
}

test('a literal run is copied as it is', () => {
  assert.equal(text(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 3)), 'abc');
});

test('a back reference shorter than its distance copies, one longer repeats', () => {
  // "abc", then 6 bytes from 3 back: the reference overlaps what it writes.
  const input = Buffer.from([0x02, 0x61, 0x62, 0x63, 0x80, 0x02]);
  assert.equal(text(lzfDecompress(input, 9)), 'abcabcabc');
  // "abcd", then 3 bytes from 4 back: no overlap.
  const disjoint = Buffer.from([0x03, 0x61, 0x62, 0x63, 0x64, 0x20, 0x03]);
  assert.equal(text(lzfDecompress(disjoint, 7)), 'abcdabc');
});

test('long back references carry their length in an extra byte', () => {
  // "a", then 264 and 35 more from 1 back: 300 a's.
  const input = Buffer.from([0x00, 0x61, 0xe0, 255, 0x00, 0xe0, 26, 0x00]);
  assert.equal(text(lzfDecompress(input, 300)), 'a'.repeat(300));
});

test('an empty input is an empty string', () => {
  assert.equal(text(lzfDecompress(Buffer.alloc(0), 0)), '');
});

test('bad input is refused with a reason, never read or written out of bounds', () => {
  assert.match(String(lzfDecompress(Buffer.from([0x20, 0x05]), 3)), /before the start/);
  assert.match(String(lzfDecompress(Buffer.from([0x05, 0x61, 0x62]), 6)), /past the input/);
  assert.match(String(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 2)), /stated length/);
  assert.match(String(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 4)), /not the stated/);
  assert.match(String(lzfDecompress(Buffer.from([0x00, 0x61, 0xe0]), 10)), /cut short/);
  assert.match(String(lzfDecompress(Buffer.from([0x00, 0x61, 0x20]), 10)), /cut short/);
});
