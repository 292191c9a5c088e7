import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  errorReplyText,
  jsonString,
  okReplyText,
  resultReplyText,
} from '../../src/protocol/reply-format.js';

describe('reply format', () => {
  test('replies use the original server layout', () => {
    assert.equal(okReplyText, '{"status": "Ok"}\n');
    assert.equal(resultReplyText('1'), '{"status": "Ok", "result": "1"}\n');
    assert.equal(
      errorReplyText('Key not found!'),
      '{"status": "Error", "mesg": "Key not found!"}\n',
    );
  });

  test('quotes, backslashes and control characters are escaped as JSON requires', () => {
    assert.equal(jsonString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(jsonString('\u0000\u001f\t\n\r'), '"\\u0000\\u001f\\t\\n\\r"');
  });

  test('U+2028 and U+2029 are escaped, other characters stay raw UTF-8', () => {
    assert.equal(jsonString('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"');
    assert.equal(jsonString('说 😀 é'), '"说 😀 é"');
    assert.equal(jsonString('"\u2028'), '"\\"\\u2028"');
  });

  test('every string round-trips through JSON.parse', () => {
    const samples = [
      '',
      'plain',
      '说',
      '😀',
      '\u0000',
      '\u2028\u2029',
      '"\\/',
      '\ud800',
      'a\u007fb',
    ];
    for (let code = 0; code < 0x300; code++) samples.push(String.fromCharCode(code));
    for (const sample of samples) {
      const reply = resultReplyText(sample);
      assert.ok(reply.endsWith('}\n') && !reply.slice(0, -1).includes('\n'));
      assert.equal(JSON.parse(reply).result, sample);
    }
  });
});
