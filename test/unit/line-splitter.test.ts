/**
 * The line splitter on its own: framing (SPEC.md section 1) and the line length limit, fed
 * split at every byte position.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LineSplitter, lineTooLong, type SplitLine } from '../../src/protocol/line-splitter.js';

function drain(splitter: LineSplitter): Array<string | typeof lineTooLong> {
  const out: Array<string | typeof lineTooLong> = [];
  for (let line = splitter.next(); line !== null; line = splitter.next()) out.push(show(line));
  return out;
}

function show(line: SplitLine): string | typeof lineTooLong {
  return line === lineTooLong ? lineTooLong : line.bytes.toString('utf8', line.start, line.end);
}

function feedInPieces(input: Buffer, cuts: number[], lineBytesMax: number) {
  const splitter = new LineSplitter(lineBytesMax);
  const out: Array<string | typeof lineTooLong> = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    splitter.push(input.subarray(from, cut));
    out.push(...drain(splitter));
    from = cut;
  }
  return out;
}

test('lines split at every byte position come out whole, with \\r\\n and UTF-8 intact', () => {
  const input = Buffer.from('PUT a 说\r\nGET a\n\nPING\r\n');
  const expected = ['PUT a 说', 'GET a', '', 'PING'];
  for (let i = 0; i <= input.length; i++) {
    for (let j = i; j <= input.length; j++) {
      assert.deepEqual(feedInPieces(input, [i, j], 64), expected, `cuts at ${i}, ${j}`);
    }
  }
});

test('an over-long line is reported once and the next line still works, at every cut', () => {
  const input = Buffer.from(`GET ${'k'.repeat(100)}\nPING\n`);
  for (let i = 0; i <= input.length; i++) {
    assert.deepEqual(feedInPieces(input, [i], 16), [lineTooLong, 'PING'], `cut at ${i}`);
  }
});

test('a line of exactly the limit passes, with or without a \\r before its \\n', () => {
  const atLimit = 'x'.repeat(16);
  assert.deepEqual(feedInPieces(Buffer.from(`${atLimit}\r\n${atLimit}\n`), [5], 16), [
    atLimit,
    atLimit,
  ]);
  assert.deepEqual(feedInPieces(Buffer.from(`${atLimit}x\n`), [], 16), [lineTooLong]);
});

test('an over-long line is dropped as it arrives, never buffered', () => {
  const splitter = new LineSplitter(1024);
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let reports = 0;
  for (let i = 0; i < 256; i++) {
    splitter.push(chunk);
    for (let line = splitter.next(); line !== null; line = splitter.next()) {
      assert.equal(line, lineTooLong);
      reports++;
    }
    assert.ok(splitter.bufferedBytes <= 1025, `holds ${splitter.bufferedBytes} bytes`);
  }
  assert.equal(reports, 1);
  assert.equal(splitter.droppedBytes, 256 * 64 * 1024);
  splitter.push(Buffer.from('aaa\nPING\n'));
  assert.deepEqual(drain(splitter), ['PING']);
  // The over-long line's last 3 bytes; PING was no part of it.
  assert.equal(splitter.droppedBytes, 256 * 64 * 1024 + 3);
});

test('at end of input an unterminated line is a command, an over-long one is not', () => {
  const splitter = new LineSplitter(8);
  splitter.push(Buffer.from('PING\nGET a\r'));
  assert.deepEqual(drain(splitter), ['PING']);
  assert.equal(show(splitter.takeUnterminated() as SplitLine), 'GET a');
  assert.equal(splitter.takeUnterminated(), null);

  const tooLong = new LineSplitter(8);
  tooLong.push(Buffer.from('GET abcdefghijk'));
  assert.deepEqual(drain(tooLong), [lineTooLong]);
  assert.equal(tooLong.takeUnterminated(), null);
});

test('an unterminated line is reported at its first byte over the limit', () => {
  const splitter = new LineSplitter(8);
  splitter.push(Buffer.from('123456789'));
  assert.deepEqual(drain(splitter), [lineTooLong]);
  // One byte over that is a `\r` may still be the line ending's: the next byte decides.
  const withCr = new LineSplitter(8);
  withCr.push(Buffer.from('12345678\r'));
  assert.deepEqual(drain(withCr), []);
  withCr.push(Buffer.from('\nnext\n'));
  assert.deepEqual(drain(withCr), ['12345678', 'next']);
});

test('a handled line is not kept: an idle connection pins no packet', async () => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const splitter = new LineSplitter(4 * 1024 * 1024);
  let packet: Buffer | null = Buffer.from(`PUT k ${'v'.repeat(1024 * 1024)}\n`);
  const packetRef = new WeakRef(packet.buffer);
  splitter.push(packet);
  packet = null;
  const line = splitter.next();
  assert.ok(line !== null && line !== lineTooLong);
  assert.equal(line.end - line.start, 6 + 1024 * 1024);
  assert.equal(splitter.next(), null);
  // A WeakRef's target stays alive until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  assert.equal(packetRef.deref(), undefined, 'the packet is still referenced');
});
