import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { globMatch } from '../../src/commands/glob.js';

test("Redis's glob rules: *, ?, classes, negation, ranges, escapes", () => {
  const cases: Array<[string, string, boolean]> = [
    ['*', '', true],
    ['*', 'anything', true],
    ['h?llo', 'hello', true],
    ['h?llo', 'hllo', false],
    ['h*llo', 'hllo', true],
    ['h*llo', 'heeeello', true],
    ['h[ae]llo', 'hallo', true],
    ['h[ae]llo', 'hillo', false],
    ['h[^e]llo', 'hallo', true],
    ['h[^e]llo', 'hello', false],
    ['h[a-b]llo', 'hbllo', true],
    ['h[b-a]llo', 'hallo', true],
    ['h[a-b]llo', 'hcllo', false],
    ['h\\*llo', 'h*llo', true],
    ['h\\*llo', 'hello', false],
    ['h[\\]]llo', 'h]llo', true],
    ['user:*:name', 'user:42:name', true],
    ['user:*:name', 'user:42:mail', false],
    ['*a*b*c', 'xxaxxbxxc', true],
    ['*a*b*c', 'xxaxxcxxb', false],
    ['a*', 'b', false],
    ['', '', true],
    ['', 'a', false],
  ];
  for (const [pattern, text, expected] of cases) {
    assert.equal(globMatch(pattern, text), expected, `${pattern} ~ ${text}`);
  }
});

test('agrees with a regular expression for patterns of letters, ? and *', () => {
  const pattern = fc.stringMatching(/^[ab?*]{0,8}$/);
  const text = fc.stringMatching(/^[ab]{0,10}$/);
  fc.assert(
    fc.property(pattern, text, (p, t) => {
      const regex = new RegExp(`^${p.replace(/\?/g, '.').replace(/\*/g, '.*')}$`, 's');
      assert.equal(globMatch(p, t), regex.test(t), `${p} ~ ${t}`);
    }),
    { numRuns: 2000 },
  );
});

test('a pattern of 100,000 stars against a key of 100,000 bytes neither recurses nor hangs', () => {
  const key = 'a'.repeat(100_000);
  assert.equal(globMatch('*a'.repeat(50_000), key), true);
  assert.equal(globMatch(`${'*a'.repeat(50_000)}b`, key), false);
});
