/**
 * The RESP request parser on its own: multibulk and inline requests as Redis 7 reads them,
 * pipelined, binary, split at every byte position, malformed, and random.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  RespParser,
  type RespParserLimits,
  type RespProtocolError,
  type RespRequest,
  respErrors,
} from '../../src/protocol/resp-parser.js';

const limits: RespParserLimits = {
  bulkBytesMax: 1024,
  argsMax: 64,
  inlineBytesMax: 64,
  inline: true,
};

/** A request as its arguments in latin1 (one character per byte), or an error. */
type Parsed = string[] | { error: string };

function show(parsed: RespRequest | RespProtocolError): Parsed {
  if (parsed.kind === 'error') return { error: parsed.message };
  const args: string[] = [];
  for (let i = 0; i < parsed.count; i++) {
    args.push(parsed.bytes.toString('latin1', parsed.starts[i], parsed.ends[i]));
  }
  return args;
}

/** Everything the parser has now; it stops at an error, which the parser then repeats. */
function drain(parser: RespParser): Parsed[] {
  const out: Parsed[] = [];
  for (let parsed = parser.next(); parsed !== null; parsed = parser.next()) {
    out.push(show(parsed));
    if (parsed.kind === 'error') {
      assert.equal(parser.next(), parsed, 'a dead parser repeats its error');
      break;
    }
  }
  return out;
}

function feedInPieces(input: Buffer, cuts: number[], parserLimits = limits): Parsed[] {
  const parser = new RespParser(parserLimits);
  const out: Parsed[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    parser.push(input.subarray(from, cut));
    out.push(...drain(parser));
    if (out.some((parsed) => 'error' in parsed)) break;
    from = cut;
  }
  return out;
}

function parseAll(input: string | Buffer, parserLimits = limits): Parsed[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  return feedInPieces(bytes, [], parserLimits);
}

function encode(args: Array<string | Uint8Array>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1');

describe('multibulk requests', () => {
  test('a request inside one packet comes back as ranges of that packet, not a copy', () => {
    const packet = Buffer.from('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
    const parser = new RespParser(limits);
    parser.push(packet);
    const request = parser.next();
    assert.ok(request !== null && request.kind === 'request');
    assert.equal(request.bytes, packet);
    assert.deepEqual(request.starts.slice(0, request.count), [8, 17, 26]);
    assert.deepEqual(request.ends.slice(0, request.count), [11, 20, 31]);
    assert.equal(request.count, 3);
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 0);
  });

  test('pipelined requests in one packet come out one by one, then null', () => {
    const input = Buffer.concat([
      encode(['SET', 'a', '1']),
      encode(['GET', 'a']),
      encode(['PING']),
      encode(['ECHO', '']),
    ]);
    assert.deepEqual(parseAll(input), [['SET', 'a', '1'], ['GET', 'a'], ['PING'], ['ECHO', '']]);
  });

  test('arguments are binary-safe: every byte 0-255, CR, LF, $ and * inside', () => {
    const args = [allBytes, '\r\n', '\r', '\n', '$3\r\n*1\r\n', `${allBytes}\r\n${allBytes}`];
    assert.deepEqual(parseAll(encode(args), { ...limits, bulkBytesMax: 1024 }), [args]);
  });

  test('*0 and negative counts are no request; the next request still comes', () => {
    const input = `*0\r\n*-1\r\n*-10\r\n*-9223372036854775808\r\n${encode(['PING'])}`;
    assert.deepEqual(parseAll(input), [['PING']]);
  });

  test('the two bytes after a bulk are skipped unread, as Redis does', () => {
    assert.deepEqual(parseAll('*1\r\n$4\r\nPINGxy*2\r\n$3\r\nGET\r\n$1\r\nkAB'), [
      ['PING'],
      ['GET', 'k'],
    ]);
    // So is the byte after a length line's \r.
    assert.deepEqual(parseAll('*1\rX$4\r?PING\r\n'), [['PING']]);
  });

  test('a request waits for the byte after the last bulk, and for the \\n of a line', () => {
    const parser = new RespParser(limits);
    parser.push(Buffer.from('*1\r\n$4\r\nPING\r'));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, 13);
    parser.push(Buffer.from('\n*1\r'));
    assert.deepEqual(drain(parser), [['PING']]);
    assert.equal(parser.bufferedBytes, 3);
  });

  test('a request of more than 1024 arguments, split across packets, comes whole', () => {
    const args = Array.from({ length: 2000 }, (_, i) => `arg${i}`);
    const input = encode(args);
    const parserLimits = { ...limits, argsMax: 2000 };
    const cuts = [100, 5000, 5001, 17000];
    assert.deepEqual(feedInPieces(input, cuts, parserLimits), [args]);
    const twice = Buffer.concat([input, encode(['PING'])]);
    assert.deepEqual(feedInPieces(twice, cuts, parserLimits), [args, ['PING']]);
  });
});

describe('requests that span packets', () => {
  test('a 16 MiB argument in 64 KiB packets is joined once, into a buffer sized once', () => {
    const valueBytes = 16 * 1024 * 1024;
    const value = Buffer.alloc(valueBytes);
    for (let i = 0; i < valueBytes; i += 4096) value[i] = i & 0xff;
    const input = Buffer.concat([
      Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${valueBytes}\r\n`),
      value,
      Buffer.from('\r\n'),
      encode(['GET', 'k']),
    ]);
    const parser = new RespParser({ ...limits, bulkBytesMax: 512 * 1024 * 1024 });
    const packetBytes = 64 * 1024;
    const requests: RespRequest[] = [];
    for (let from = 0; from < input.length; from += packetBytes) {
      parser.push(input.subarray(from, from + packetBytes));
      for (let parsed = parser.next(); parsed !== null; parsed = parser.next()) {
        assert.equal(parsed.kind, 'request');
        if (parsed.kind !== 'request') break;
        requests.push({ ...parsed, starts: [...parsed.starts], ends: [...parsed.ends] });
        if (parsed.count === 3) {
          assert.equal(parsed.bytes.toString('latin1', parsed.starts[1], parsed.ends[1]), 'k');
          const got = parsed.bytes.subarray(parsed.starts[2], parsed.ends[2]);
          assert.ok(got.equals(value), 'the value comes back byte for byte');
          assert.ok(parsed.bytes.buffer.byteLength < valueBytes + packetBytes, 'sized once');
        }
      }
      assert.ok(parser.bufferedBytes <= valueBytes + 100, `holds ${parser.bufferedBytes}`);
    }
    assert.deepEqual(
      requests.map((request) => request.count),
      [3, 2],
    );
    // The request after the joined one is read in place: its bytes are the input's, not a copy.
    assert.equal(requests[1]?.bytes.buffer, input.buffer);
    assert.equal(parser.bufferedBytes, 0);
  });

  test('a pipelined stream split at every byte position gives what one packet gives', () => {
    const input = Buffer.concat([
      encode(['SET', 'k', 'a\r\nb']),
      Buffer.from('*0\r\n*-1\r\n'),
      encode(['GET', '']),
      Buffer.from('PING\r\n  \r\nSET "a b" \'c\'\n'),
      encode([allBytes.slice(0, 20)]),
    ]);
    const expected = parseAll(input);
    assert.deepEqual(expected, [
      ['SET', 'k', 'a\r\nb'],
      ['GET', ''],
      ['PING'],
      ['SET', 'a b', 'c'],
      [allBytes.slice(0, 20)],
    ]);
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        assert.deepEqual(feedInPieces(input, [i, j]), expected, `cuts at ${i}, ${j}`);
      }
    }
  });

  test('random requests, encoded and split at random points, parse back equal', () => {
    const arg = fc.uint8Array({ maxLength: 40 });
    const request = fc.array(arg, { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (requests, rawCuts) => {
          const input = Buffer.concat(requests.map((args) => encode(args)));
          const cuts = rawCuts.map((cut) => cut % (input.length + 1)).sort((a, b) => a - b);
          const expected = requests.map((args) =>
            args.map((a) => Buffer.from(a).toString('latin1')),
          );
          assert.deepEqual(feedInPieces(input, cuts), expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('malformed requests', () => {
  const cases: Array<[string, string, Partial<RespParserLimits>?]> = [
    ['*abc\r\n', respErrors.invalidMultibulkLength],
    ['*\r\n', respErrors.invalidMultibulkLength],
    ['*01\r\n', respErrors.invalidMultibulkLength],
    ['*+1\r\n', respErrors.invalidMultibulkLength],
    ['*-0\r\n', respErrors.invalidMultibulkLength],
    ['*-\r\n', respErrors.invalidMultibulkLength],
    ['*1 \r\n', respErrors.invalidMultibulkLength],
    ['*65\r\n', respErrors.invalidMultibulkLength],
    ['*9223372036854775807\r\n', respErrors.invalidMultibulkLength],
    ['*-9223372036854775809\r\n', respErrors.invalidMultibulkLength],
    ['*99999999999999999999\r\n', respErrors.invalidMultibulkLength],
    ['*1\r\n$-1\r\n', respErrors.invalidBulkLength],
    ['*1\r\n$x\r\n', respErrors.invalidBulkLength],
    ['*1\r\n$\r\n', respErrors.invalidBulkLength],
    ['*1\r\n$04\r\n', respErrors.invalidBulkLength],
    ['*1\r\n$1025\r\n', respErrors.invalidBulkLength],
    ['*1\r\n$9223372036854775808\r\n', respErrors.invalidBulkLength],
    ['*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', respErrors.expectedDollar(0x66)],
    ['*1\r\n\r\n', "Protocol error: expected '$', got ' '"],
    ['*1\r\n:1\r\n', "Protocol error: expected '$', got ':'"],
    ['PING\r\n', "Protocol error: expected '*', got 'P'", { inline: false }],
    ['SET "a\r\n', respErrors.unbalancedQuotes],
    ["SET 'a\r\n", respErrors.unbalancedQuotes],
    ['SET "a"b\r\n', respErrors.unbalancedQuotes],
    ["SET 'a'b\r\n", respErrors.unbalancedQuotes],
    ['SET "a\\"\r\n', respErrors.unbalancedQuotes],
    [`${'x'.repeat(65)}\r\n`, respErrors.tooBigInlineRequest],
    ['x'.repeat(66), respErrors.tooBigInlineRequest],
    [`*1\r\n${'1'.repeat(65537)}`, respErrors.tooBigBulkCountString],
    [`*${'1'.repeat(65536)}`, respErrors.tooBigMbulkCountString],
    [`*${'1'.repeat(70000)}\r\n`, respErrors.tooBigMbulkCountString],
  ];
  for (const [input, message, overrides] of cases) {
    const shown = JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}...` : input);
    test(`${shown} is answered "${message}" at every split`, () => {
      const bytes = Buffer.from(input, 'latin1');
      const parserLimits = { ...limits, ...overrides };
      const expected = [{ error: message }];
      assert.deepEqual(feedInPieces(bytes, [], parserLimits), expected);
      const step = Math.max(1, Math.floor(bytes.length / 50));
      for (let i = 0; i <= bytes.length; i += step) {
        assert.deepEqual(feedInPieces(bytes, [i], parserLimits), expected, `cut at ${i}`);
      }
    });
  }

  test('lengths at the limits pass, one past them fail', () => {
    assert.deepEqual(parseAll(`*1\r\n$1024\r\n${'v'.repeat(1024)}\r\n`), [['v'.repeat(1024)]]);
    const args = Array.from({ length: 64 }, () => 'a');
    assert.deepEqual(parseAll(encode(args)), [args]);
    assert.deepEqual(parseAll(`${'x'.repeat(64)}\r\n`), [['x'.repeat(64)]]);
    assert.deepEqual(feedInPieces(Buffer.from(`${'x'.repeat(64)}\r\n`), [65]), [['x'.repeat(64)]]);
  });

  test('an endless length line or inline line is held up to its limit, then fails', () => {
    const inputs: Array<[string, string]> = [
      ['*', respErrors.tooBigMbulkCountString],
      ['*1\r\n$', respErrors.tooBigBulkCountString],
      ['GET ', respErrors.tooBigInlineRequest],
    ];
    for (const [start, message] of inputs) {
      const parser = new RespParser({ ...limits, inlineBytesMax: 4096 });
      parser.push(Buffer.from(start));
      const packet = Buffer.alloc(1024, 0x31);
      let heldMax = 0;
      let parsed = parser.next();
      for (let i = 0; i < 1024 && parsed === null; i++, parsed = parser.next()) {
        heldMax = Math.max(heldMax, parser.bufferedBytes);
        parser.push(packet);
      }
      assert.deepEqual(parsed && show(parsed), { error: message });
      assert.ok(heldMax <= 64 * 1024 + 4, `held ${heldMax} bytes`);
      assert.equal(parser.bufferedBytes, 0);
    }
  });

  test('a length line waits up to 64 KiB for its \\r', () => {
    const parser = new RespParser(limits);
    parser.push(Buffer.from(`*1\r\n${'1'.repeat(65536)}`));
    assert.equal(parser.next(), null);
    parser.push(Buffer.from('1'));
    assert.deepEqual(drain(parser), [{ error: respErrors.tooBigBulkCountString }]);
  });

  test('after an error the parser holds nothing and ignores what comes', () => {
    const parser = new RespParser(limits);
    parser.push(Buffer.from(`*1\r\n$4\r\nPING\r\n*x\r\n${encode(['PING'])}`));
    assert.deepEqual(drain(parser), [['PING'], { error: respErrors.invalidMultibulkLength }]);
    assert.equal(parser.bufferedBytes, 0);
    parser.push(encode(['PING']));
    assert.equal(parser.bufferedBytes, 0);
    assert.deepEqual(show(parser.next() as RespProtocolError), {
      error: respErrors.invalidMultibulkLength,
    });
  });
});

describe('inline requests', () => {
  const cases: Array<[string, string[]]> = [
    ['PING\r\n', ['PING']],
    ['PING\n', ['PING']],
    ['  SET   a\tb  \r\n', ['SET', 'a', 'b']],
    ['SET "a b" \'c d\'\r\n', ['SET', 'a b', 'c d']],
    ['SET "\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\"\\q"\r\n', ['SET', 'Az\n\r\t\b\x07\\"q']],
    ['SET "\\xZZ" "\\x4"\r\n', ['SET', 'xZZ', 'x4']],
    ["SET 'it\\'s' 'a\\nb'\r\n", ['SET', "it's", 'a\\nb']],
    ['SET "" \'\'\r\n', ['SET', '', '']],
    ['a"b c" d\r\n', ['ab c', 'd']],
    ['"a"\x0bb\r\n', ['a', 'b']],
    ['a\x0bb\x0cc\r\n', ['a\x0bb\x0cc']],
    ['GET a\rb\r\n', ['GET', 'a', 'b']],
    ['PING\r\r\n', ['PING']],
    ['SET k \xff\x00\xfe\r\n', ['SET', 'k', '\xff\x00\xfe']],
  ];
  for (const [line, args] of cases) {
    test(`${JSON.stringify(line)} splits like redis-cli's sdssplitargs`, () => {
      assert.deepEqual(parseAll(line), [args]);
    });
  }

  test('blank lines are no request; the next request still comes', () => {
    assert.deepEqual(parseAll('\r\n\n   \r\n\t\nPING\r\n'), [['PING']]);
  });

  test('inline and multibulk requests mix, decided by each first byte', () => {
    assert.deepEqual(parseAll(`PING\r\n${encode(['GET', 'k'])}ECHO x\n`), [
      ['PING'],
      ['GET', 'k'],
      ['ECHO', 'x'],
    ]);
  });
});

describe('random input', () => {
  const protocolByte = fc.oneof(
    fc.constantFrom(...Buffer.from('*$\r\n\r\n0123456789-"\' \\x')),
    fc.integer({ min: 0, max: 255 }),
  );
  const chunkyInput = fc.array(
    fc.oneof(
      fc.array(protocolByte, { maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
      fc
        .array(fc.uint8Array({ maxLength: 10 }), { minLength: 1, maxLength: 4 })
        .map((args) => encode(args)),
    ),
    { maxLength: 8 },
  );
  const smallLimits = { bulkBytesMax: 16, argsMax: 4, inlineBytesMax: 24 };

  test('random bytes never throw, and any split gives what one packet gives', () => {
    fc.assert(
      fc.property(
        chunkyInput,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (pieces, rawCuts, inline) => {
          const input = Buffer.concat(pieces);
          const parserLimits = { ...smallLimits, inline };
          const cuts = rawCuts.map((cut) => cut % (input.length + 1)).sort((a, b) => a - b);
          const expected = feedInPieces(input, [], parserLimits);
          assert.deepEqual(feedInPieces(input, cuts, parserLimits), expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
