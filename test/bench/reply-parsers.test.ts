/**
 * The client's reply parsers: every reply kind classified right, and the same replies parsed
 * the same wherever TCP happens to split the byte stream (the bench must not miscount when a
 * reply straddles two reads).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HausReplyParser } from '../../bench/protocols/haus.js';
import { type ReplyParser, type ReplySink, replyKindName } from '../../bench/protocols/reply.js';
import { RespReplyParser } from '../../bench/protocols/resp.js';

type ParserFactory = (sink: ReplySink) => ReplyParser;

/** Feeds `chunks` and returns each reply as "Kind:text" (text = value or line). */
function parse(create: ParserFactory, chunks: Buffer[]): string[] {
  const seen: string[] = [];
  const parser = create((kind, buf, start, end) => {
    seen.push(`${replyKindName(kind)}:${buf.toString('utf8', start, end)}`);
  });
  for (const chunk of chunks) parser.push(chunk);
  return seen;
}

/** Every split into two chunks, and the byte-at-a-time split, give the whole-stream result. */
function assertSplitInvariant(create: ParserFactory, stream: Buffer): string[] {
  const whole = parse(create, [stream]);
  for (let cut = 1; cut < stream.length; cut += 1) {
    const split = parse(create, [stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(split, whole, `split at byte ${cut}`);
  }
  const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepEqual(parse(create, bytes), whole, 'one byte at a time');
  return whole;
}

const hausStream = Buffer.from(
  [
    '{"status": "Ok"}',
    '{"status": "Ok", "result": "k000000000000042xxxxxxxxxxxxxxxx"}',
    '{"status": "Error", "mesg": "Key not found!"}',
    '{"status": "Ok", "result": "说 a value"}\r',
    '{"status":"Ok"}',
    '{"status": "Ok", "result": ""}',
    '',
  ].join('\n'),
);

const respStream = Buffer.from(
  '+OK\r\n' +
    '$32\r\nk000000000000042xxxxxxxxxxxxxxxx\r\n' +
    '$-1\r\n' +
    '-ERR wrong number of arguments\r\n' +
    '+QUEUED\r\n' +
    '*3\r\n+OK\r\n+OK\r\n+OK\r\n' +
    '*2\r\n+OK\r\n-ERR in exec\r\n' +
    '*2\r\n*1\r\n:1\r\n$0\r\n\r\n' +
    ':42\r\n' +
    '*0\r\n' +
    '$5\r\n说xy\r\n',
);

describe('Haus reply parser', () => {
  const create: ParserFactory = (sink) => new HausReplyParser(sink);

  test('classifies Ok, values, errors, and replies not in the spec layout', () => {
    assert.deepEqual(parse(create, [hausStream]), [
      'Ok:{"status": "Ok"}',
      'Value:k000000000000042xxxxxxxxxxxxxxxx',
      'Error:{"status": "Error", "mesg": "Key not found!"}',
      'Value:说 a value',
      'Malformed:{"status":"Ok"}',
      'Value:',
    ]);
  });

  test('parses the same replies wherever the stream is split', () => {
    assertSplitInvariant(create, hausStream);
  });

  test('a long value arriving in many chunks is one reply', () => {
    const value = 'v'.repeat(200_000);
    const line = Buffer.from(`{"status": "Ok", "result": "${value}"}\n`);
    const chunks = [];
    for (let i = 0; i < line.length; i += 65_536) chunks.push(line.subarray(i, i + 65_536));
    assert.deepEqual(parse(create, chunks), [`Value:${value}`]);
  });
});

describe('RESP reply parser', () => {
  const create: ParserFactory = (sink) => new RespReplyParser(sink);

  test('classifies every RESP2 reply type and folds arrays into one reply', () => {
    const replies = parse(create, [respStream]).map((reply) => reply.split(':')[0]);
    assert.deepEqual(replies, [
      'Ok',
      'Value',
      'Nil',
      'Error',
      'Queued',
      'ArrayOk',
      'ArrayWithError',
      'ArrayOther',
      'Other',
      'ArrayOk',
      'Value',
    ]);
    assert.equal(parse(create, [respStream])[1], 'Value:k000000000000042xxxxxxxxxxxxxxxx');
  });

  test('an array of OKs reports its element count; integers instead of OKs do not pass', () => {
    const stream = Buffer.from(
      `*12\r\n${'+OK\r\n'.repeat(12)}*0\r\n*2\r\n:1\r\n:1\r\n*1\r\n+QUEUED\r\n`,
    );
    assert.deepEqual(assertSplitInvariant(create, stream), [
      'ArrayOk:12',
      'ArrayOk:0',
      'ArrayOther:1',
      'ArrayOther:QUEUED',
    ]);
  });

  test('parses the same replies wherever the stream is split', () => {
    assertSplitInvariant(create, respStream);
  });

  test('a bad type byte is reported once and marks the stream broken', () => {
    const seen: string[] = [];
    const parser = new RespReplyParser((kind) => seen.push(replyKindName(kind)));
    parser.push(Buffer.from('+OK\r\n?what\r\n+OK\r\n'));
    assert.deepEqual(seen, ['Ok', 'Malformed']);
    assert.equal(parser.broken, true);
  });
});
