/**
 * What the writer writes, the reader reads back exactly: binary keys and values, empty and
 * integer-like strings, expiry times, strings longer than a chunk, a snapshot written in
 * parts (as shards will) with a combined checksum, and input split at any point.
 */
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { RdbError } from '../../workers/rdb/rdb-error.js';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { RdbReader, readRdbEntryBatches } from '../../workers/rdb/rdb-reader.js';
import { RdbEntryEncoder } from '../../workers/rdb/rdb-writer.js';
import { allBytes, readRdbFile, writeRdbFile } from './rdb-files.js';

const integerLike = [
  '0',
  '-1',
  '127',
  '128',
  '-128',
  '-129',
  '32767',
  '-32768',
  '32768',
  '2147483647',
  '-2147483648',
  '2147483648',
  '-2147483649',
  '12345678901',
  '007',
  '-0',
  '+1',
  '1e3',
  ' 1',
  '1 ',
  '0x10',
  '1.0',
  '-',
];

const inAnHourMs = Date.now() + 3_600_000;

const sample: RdbEntry[] = [
  { key: allBytes, value: allBytes, expireAtMs: 0 },
  { key: 'crlf\r\n', value: 'line\r\nnext\n\r\0', expireAtMs: inAnHourMs },
  { key: 'empty', value: '', expireAtMs: 0 },
  { key: '', value: 'empty key', expireAtMs: 0 },
  { key: 'long', value: 'x'.repeat(70_000), expireAtMs: 1 },
  ...integerLike.map((value, i) => ({ key: `int:${i}`, value, expireAtMs: 0 })),
  ...integerLike.map((key) => ({ key, value: `key ${key}`, expireAtMs: 2 ** 45 })),
];

test('every key, value and expiry comes back as written', () => {
  assert.deepEqual(readRdbFile(writeRdbFile(sample)), sample);
});

test('a snapshot written in three parts with small chunks reads back whole', () => {
  const file = writeRdbFile(sample, { partCount: 3, chunkBytes: 100 });
  const byKey = (a: RdbEntry, b: RdbEntry) => (a.key < b.key ? -1 : 1);
  assert.deepEqual(readRdbFile(file).sort(byKey), [...sample].sort(byKey));
});

test('a file split into two chunks at every byte position reads the same', () => {
  const entries = sample.filter((e) => e.key !== 'long');
  const file = writeRdbFile(entries);
  for (let cut = 0; cut <= file.length; cut++) {
    assert.deepEqual(readRdbFile(file, [cut]), entries, `cut at ${cut}`);
  }
});

test('a file pushed one byte at a time reads the same', () => {
  const file = writeRdbFile(sample);
  const cuts = Array.from({ length: file.length - 1 }, (_, i) => i + 1);
  assert.deepEqual(readRdbFile(file, cuts), sample);
});

test('integer-like strings Redis would store as integers are written in 2 to 5 bytes', () => {
  const sizeOf = (value: string) => writeRdbFile([{ key: 'k', value, expireAtMs: 0 }]).length;
  const base = sizeOf('');
  assert.equal(sizeOf('-128') - base, 1);
  assert.equal(sizeOf('-32768') - base, 2);
  assert.equal(sizeOf('2147483647') - base, 4);
  assert.equal(sizeOf('2147483648') - base, 10, 'past 32 bits: a 10-byte string');
  assert.equal(sizeOf('007') - base, 3, 'not canonical: a 3-byte string');
});

test('a 16 MiB value split into 4 KiB chunks is parsed once, not once per chunk', () => {
  const value = 'v'.repeat(16 * 1024 * 1024);
  const file = writeRdbFile([{ key: 'big', value, expireAtMs: 0 }]);
  const cuts = Array.from({ length: Math.floor(file.length / 4096) }, (_, i) => (i + 1) * 4096);
  const started = Date.now();
  const [entry] = readRdbFile(file, cuts);
  assert.equal(entry?.value.length, value.length);
  // Re-reading the value at every chunk would copy 4096 times 8 MiB on average: minutes.
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
});

test("the encoder's chunks stay near their size, except a string longer than one", () => {
  const encoder = new RdbEntryEncoder({ chunkBytes: 1000 });
  const sizes: number[] = [];
  for (let i = 0; i < 100; i++) {
    encoder.add(`key:${i}`, i === 50 ? 'y'.repeat(5000) : 'z'.repeat(i), 0);
    for (let chunk = encoder.takeChunk(); chunk !== null; chunk = encoder.takeChunk()) {
      sizes.push(chunk.length);
    }
  }
  encoder.finish();
  for (let chunk = encoder.takeChunk(); chunk !== null; chunk = encoder.takeChunk()) {
    sizes.push(chunk.length);
  }
  assert.deepEqual(
    sizes.filter((size) => size > 1000),
    [5000],
  );
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    encoder.part.lengthBytes,
  );
});

const latin1String = fc.string({ unit: fc.nat(255).map((c) => String.fromCharCode(c)) });
const someString = fc.oneof(
  latin1String,
  fc.integer().map(String),
  fc.constantFrom(...integerLike),
  fc.nat(3000).map((n) => 'r'.repeat(n)),
);
const someExpiry = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 48 }));
/** fast-check's records have a null prototype; the reader's entries are plain objects. */
const someEntry = fc
  .record({ key: someString, value: someString, expireAtMs: someExpiry })
  .map((entry): RdbEntry => ({ ...entry }));

test('property: random entries round-trip through writer and reader cut into random chunks', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(someEntry, {
        selector: (entry) => entry.key,
        maxLength: 30,
      }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 16, max: 600 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
      (entries, partCount, chunkBytes, cutFractions) => {
        const file = writeRdbFile(entries, { partCount, chunkBytes });
        const cuts = cutFractions.map((f) => Math.floor(f * file.length)).sort((a, b) => a - b);
        const read = readRdbFile(file, cuts);
        const byKey = (a: RdbEntry, b: RdbEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
        assert.deepEqual(read.sort(byKey), [...entries].sort(byKey));
      },
    ),
    { numRuns: 300 },
  );
});

test('the reader reports the AUX fields and the key count hint it read', () => {
  const reader = new RdbReader();
  reader.push(writeRdbFile(sample, { createdAtMs: 1_700_000_000_000 }));
  while (reader.next() !== null);
  reader.end();
  assert.equal(reader.version, 9);
  assert.equal(reader.aux.get('ctime'), '1700000000');
  assert.equal(reader.aux.get('redis-bits'), '64');
  assert.equal(reader.keyCountHint, sample.length);
  assert.equal(reader.complete, true);
});

test('a file streamed from disk in small chunks reads in batches; a cut one is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'haus-rdb-'));
  try {
    const path = join(dir, 'dump.rdb');
    const file = writeRdbFile(sample);
    writeFileSync(path, file);
    const read: RdbEntry[] = [];
    for await (const batch of readRdbEntryBatches(
      createReadStream(path, { highWaterMark: 1000 }),
    )) {
      read.push(...batch);
    }
    assert.deepEqual(read, sample);
    writeFileSync(path, file.subarray(0, file.length - 1));
    await assert.rejects(
      async () => {
        for await (const _ of readRdbEntryBatches(createReadStream(path))) {
          // Entries before the cut come out; the error comes at the end.
        }
      },
      (error: unknown) => error instanceof RdbError && error.code === 'truncated',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
