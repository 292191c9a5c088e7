import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Command, parseCommand } from '../../src/protocol/command-parser.js';
import { messages } from '../../src/protocol/messages.js';

function parse(text: string | Buffer): Command {
  return parseCommand(typeof text === 'string' ? Buffer.from(text) : text);
}

function keyText(text: string): string {
  const line = Buffer.from(text);
  const command = parseCommand(line);
  assert.ok('keyStart' in command, `no key in ${JSON.stringify(command)}`);
  return line.toString('utf8', command.keyStart, command.keyEnd);
}

function valueText(text: string): string {
  const line = Buffer.from(text);
  const command = parseCommand(line);
  assert.equal(command.kind, 'PUT');
  if (command.kind !== 'PUT') throw new Error('unreachable');
  return line.toString('utf8', command.valueStart, command.valueEnd);
}

describe('command parser', () => {
  test('a line inside a larger buffer is parsed within its range, offsets absolute', () => {
    const bytes = Buffer.from('GET x\nPUT  k  v v \nDEL');
    const put = parseCommand(bytes, 6, 18);
    assert.equal(put.kind, 'PUT');
    if (put.kind !== 'PUT') throw new Error('unreachable');
    assert.equal(bytes.toString('utf8', put.keyStart, put.keyEnd), 'k');
    assert.equal(bytes.toString('utf8', put.valueStart, put.valueEnd), 'v v');
    assert.deepEqual(parseCommand(bytes, 0, 5), { kind: 'GET', keyStart: 4, keyEnd: 5 });
    assert.equal(parseCommand(bytes, 19, 22).kind, 'error', 'DEL without its key');
    assert.equal(parseCommand(bytes, 5, 5).kind, 'blank');
  });

  test('command words are case-insensitive', () => {
    for (const word of ['get', 'GET', 'Get', 'gEt']) assert.equal(parse(`${word} a`).kind, 'GET');
    for (const word of ['start', 'Start', 'START']) assert.equal(parse(word).kind, 'START');
    assert.equal(parse('rollBack').kind, 'ROLLBACK');
    assert.equal(parse('ping').kind, 'PING');
  });

  test('a PUT value keeps inner spaces and loses the trailing ones', () => {
    assert.equal(valueText('PUT   a    3 * 3 = 9 '), '3 * 3 = 9');
    assert.equal(keyText('PUT   a    3 * 3 = 9 '), 'a');
    assert.equal(valueText('PUT k \t a\t b \t'), 'a\t b');
  });

  test('spaces and tabs before the command word are ignored', () => {
    assert.equal(keyText(' \t GET\tkey'), 'key');
  });

  test('only spaces and tabs separate words', () => {
    // NBSP, vertical tab and U+3000 are part of the key.
    assert.equal(keyText('GET a\u00a0b'), 'a\u00a0b');
    assert.equal(keyText('GET a\u000bb'), 'a\u000bb');
    assert.equal(keyText('GET a\u3000b'), 'a\u3000b');
  });

  test('keys are case-sensitive bytes', () => {
    assert.equal(keyText('GET Key'), 'Key');
  });

  test('a blank line or one of only spaces and tabs is blank', () => {
    for (const text of ['', ' ', '\t', ' \t  ']) assert.equal(parse(text).kind, 'blank');
  });

  test('wrong numbers of words are errors a person can act on', () => {
    assert.deepEqual(parse('GET'), { kind: 'error', message: messages.takesOneKey('GET') });
    assert.deepEqual(parse('GET a b'), { kind: 'error', message: messages.takesOneKey('GET') });
    // A refused write says so: inside a transaction it dooms the COMMIT (SPEC.md section 4).
    const refusedWrite = (message: string) => ({ kind: 'error', message, isWrite: true });
    assert.deepEqual(parse('DEL'), refusedWrite(messages.takesOneKey('DEL')));
    assert.deepEqual(parse('PUT a'), refusedWrite(messages.putNeedsValue));
    assert.deepEqual(parse('PUT a    '), refusedWrite(messages.putNeedsValue));
    assert.deepEqual(parse('PUT'), refusedWrite(messages.putNeedsValue));
    assert.deepEqual(parse('COMMIT now'), {
      kind: 'error',
      message: messages.takesNoArguments('COMMIT'),
    });
  });

  test('an unknown command is named in the error, shortened when long', () => {
    assert.deepEqual(parse('FOO a'), { kind: 'error', message: messages.unknownCommand('FOO') });
    const long = parse(`X${'y'.repeat(500)}`);
    assert.equal(long.kind, 'error');
    if (long.kind === 'error') assert.ok(long.message.length < 200);
  });

  test('a word that only starts like a command is unknown', () => {
    assert.equal(parse('GETS a').kind, 'error');
    assert.equal(parse('GE a').kind, 'error');
    // Bytes that equal a letter only after `| 0x20` on a non-letter must not match.
    assert.equal(parse(Buffer.from([0x07, 0x05, 0x14, 0x20, 0x61])).kind, 'error');
  });

  test('invalid UTF-8 in a key is not rejected here (the shard checks it)', () => {
    const command = parse(Buffer.from([0x47, 0x45, 0x54, 0x20, 0xff, 0xfe]));
    assert.equal(command.kind, 'GET');
  });
});
