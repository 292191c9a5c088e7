/**
 * What the reader refuses, and how it says so (SPEC.md section 9: "a truncated or corrupt file
 * stops start-up with an error naming ... what is wrong"): a file cut at any byte, any one
 * byte changed, bad magic and versions, lengths past the bound, types and content Haus cannot
 * hold. Also the odd things Redis files may hold that it accepts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RdbError, type RdbErrorCode } from '../../workers/rdb/rdb-error.js';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { RdbReader } from '../../workers/rdb/rdb-reader.js';
import { allBytes, readRdbFile, sealRdb, writeRdbFile } from './rdb-files.js';

function refusal(run: () => unknown): RdbError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof RdbError, `not an RdbError: ${String(error)}`);
    return error;
  }
  assert.fail('the file was accepted');
}

function assertRefused(file: Uint8Array, code: RdbErrorCode, message?: RegExp): RdbError {
  const error = refusal(() => readRdbFile(file));
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

/** A string as the format stores it with a 6-bit length (under 64 bytes). */
function str(text: string): Buffer {
  assert.ok(text.length < 64);
  return Buffer.concat([Buffer.of(text.length), Buffer.from(text, 'latin1')]);
}

const entries: RdbEntry[] = [
  { key: 'a', value: allBytes, expireAtMs: Date.now() + 60_000 },
  { key: 'counter', value: '42', expireAtMs: 0 },
  { key: 'text', value: 'hello, world', expireAtMs: 0 },
];
const file = writeRdbFile(entries);

test('a file cut short at any byte is refused as truncated, at the byte where it ends', () => {
  for (let end = 0; end < file.length; end++) {
    const error = assertRefused(file.subarray(0, end), 'truncated', /cut short/);
    assert.equal(error.offsetBytes, end);
  }
});

test('a file with any one byte changed is refused', () => {
  for (let at = 0; at < file.length; at++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const corrupt = Buffer.from(file);
      corrupt[at] = (corrupt[at] as number) ^ mask;
      refusal(() => readRdbFile(corrupt));
    }
  }
});

test('a changed byte inside a value is caught by the checksum, which says both CRCs', () => {
  const corrupt = Buffer.from(file);
  const at = corrupt.indexOf('hello');
  corrupt[at] = 0x48;
  const error = assertRefused(corrupt, 'bad-checksum', /CRC-64 is 0x[0-9a-f]+ but its bytes give/);
  assert.equal(error.offsetBytes, file.length - 8);
});

test('a checksum of 0 means "not computed" and is accepted, as Redis does', () => {
  const unchecked = Buffer.from(file);
  unchecked.fill(0, file.length - 8);
  assert.deepEqual(readRdbFile(unchecked), entries);
});

test('a file of version 4, before checksums, ends at its EOF marker', () => {
  const old = Buffer.concat([
    Buffer.from('REDIS0004'),
    Buffer.of(0xfe, 0x00, 0x00),
    str('k'),
    str('v'),
    Buffer.of(0xff),
  ]);
  assert.deepEqual(readRdbFile(old), [{ key: 'k', value: 'v', expireAtMs: 0 }]);
});

test('bad magic and unknown versions are refused before anything else is read', () => {
  assertRefused(Buffer.from('RADIS0009xxxxxxxx'), 'bad-magic', /not an RDB file/);
  assertRefused(Buffer.from('REDIS00x9xxxxxxxx'), 'bad-magic');
  assertRefused(Buffer.from('{"json": true}\n'), 'bad-magic');
  assertRefused(sealRdb(Buffer.alloc(0), 13), 'bad-version', /version 13; Haus reads 1 to 12/);
  assertRefused(sealRdb(Buffer.alloc(0), 0), 'bad-version');
  assert.deepEqual(readRdbFile(sealRdb(Buffer.alloc(0), 10)), []);
  assert.deepEqual(readRdbFile(sealRdb(Buffer.alloc(0), 12)), []);
});

test('bytes after the checksum are refused', () => {
  assertRefused(Buffer.concat([file, Buffer.of(0)]), 'trailing-bytes', /1 bytes follow/);
});

test('a length past the bound is refused before waiting for, or allocating, its bytes', () => {
  const huge = Buffer.concat([Buffer.from('REDIS0009'), Buffer.of(0x00, 0x80, 0x7f, 0xff, 0xff)]);
  const reader = new RdbReader();
  reader.push(Buffer.concat([huge, Buffer.of(0xff)]));
  const error = refusal(() => reader.next());
  assert.equal(error.code, 'too-long');
  assert.match(error.message, /2147483647 bytes, over the bound of 536870912/);
  const small = new RdbReader({ stringBytesMax: 10 });
  small.push(sealRdb(Buffer.concat([Buffer.of(0x00), str('k'), str('eleven bytes')])));
  assert.equal(refusal(() => small.next()).code, 'too-long');
});

test('an LZF string claiming more than its bytes can hold, or with bad data, is corrupt', () => {
  const claim = Buffer.concat([Buffer.of(0x00), str('k'), Buffer.of(0xc3, 0x01, 0x80)]);
  assertRefused(
    sealRdb(Buffer.concat([claim, Buffer.of(0x00, 0x01, 0x00, 0x00, 0x61)])),
    'corrupt',
  );
  const badData = Buffer.of(0x00, 0x01, 0x6b, 0xc3, 0x02, 0x05, 0x20, 0x05);
  assertRefused(sealRdb(badData), 'corrupt', /bad LZF-compressed string: .*before the start/);
});

test('lengths in 14, 32 and 64 bits and integer encodings are all read', () => {
  const body = Buffer.concat([
    Buffer.of(0x00, 0x40, 0x01, 0x6b), // key "k" with a 14-bit length
    Buffer.of(0x80, 0x00, 0x00, 0x00, 0x02, 0x76, 0x76), // "vv", 32-bit length
    Buffer.of(0x00, 0x81, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x6c), // key "l", 64-bit length
    Buffer.of(0xc2, 0x00, 0x00, 0x00, 0x80), // -2147483648 as int32
    Buffer.of(0x00, 0xc0, 0xff, 0xc1, 0x00, 0x80), // key -1 (int8), value -32768 (int16)
  ]);
  assert.deepEqual(readRdbFile(sealRdb(body)), [
    { key: 'k', value: 'vv', expireAtMs: 0 },
    { key: 'l', value: '-2147483648', expireAtMs: 0 },
    { key: '-1', value: '-32768', expireAtMs: 0 },
  ]);
});

test('expiry in seconds, LRU idle time and LFU frequency are read; a time at 0 stays expired', () => {
  const body = Buffer.concat([
    Buffer.of(0xfd, 0x10, 0x27, 0x00, 0x00), // EXPIRETIME 10000 s
    Buffer.of(0xf8, 0x40, 0x90, 0xf9, 0x07), // IDLE 144 s, FREQ 7
    Buffer.of(0x00),
    str('s'),
    str('v'),
    Buffer.of(0xfc, 0, 0, 0, 0, 0, 0, 0, 0), // EXPIRETIME_MS 0: the epoch, long past
    Buffer.of(0x00),
    str('old'),
    str('v'),
  ]);
  assert.deepEqual(readRdbFile(sealRdb(body)), [
    { key: 's', value: 'v', expireAtMs: 10_000_000 },
    { key: 'old', value: 'v', expireAtMs: 1 },
  ]);
});

test('a value of another type is refused naming its key and its type', () => {
  const list = Buffer.concat([Buffer.of(18), str('my\nlist'), Buffer.of(0x01, 0x02, 0x0b)]);
  const error = assertRefused(sealRdb(list), 'unsupported-type');
  assert.match(error.message, /key "my\\nlist" holds a list \(RDB type 18, quicklist encoding\)/);
  assert.equal(error.offsetBytes, 9);
  assertRefused(sealRdb(Buffer.concat([Buffer.of(11), str('s')])), 'unsupported-type', /set/);
  assertRefused(sealRdb(Buffer.concat([Buffer.of(7), str('m')])), 'unsupported-type', /module/);
  assertRefused(sealRdb(Buffer.concat([Buffer.of(21), str('x')])), 'unsupported-type', /stream/);
});

test('module data and function libraries are refused; unknown bytes are corrupt', () => {
  assertRefused(sealRdb(Buffer.of(0xf7, 0x01)), 'unsupported-content', /MODULE_AUX/);
  assertRefused(sealRdb(Buffer.concat([Buffer.of(0xf5), str('#!lua')])), 'unsupported-content');
  const error = assertRefused(sealRdb(Buffer.of(0x08)), 'corrupt', /0x08 is no RDB type/);
  assert.equal(error.offsetBytes, 9);
  assertRefused(sealRdb(Buffer.of(0x00, 0xc4)), 'corrupt', /string encoding 4/);
  assertRefused(sealRdb(Buffer.of(0xfe, 0xc0)), 'corrupt', /where a length should be/);
});

test('a key in a database other than 0 is refused, naming the key and the database', () => {
  const body = Buffer.concat([Buffer.of(0xfe, 0x03, 0xfb, 0x01, 0x00, 0x00), str('k'), str('v')]);
  assertRefused(sealRdb(body), 'other-database', /key "k" is in database 3/);
});

test('after a refusal the reader keeps refusing with the same error', () => {
  const reader = new RdbReader();
  reader.push(Buffer.from('NOTREDIS!'));
  const first = refusal(() => reader.next());
  assert.equal(
    refusal(() => reader.next()),
    first,
  );
  assert.equal(
    refusal(() => reader.end()),
    first,
  );
});
