/**
 * INCRBYFLOAT against Redis itself, reply for reply: Redis adds in 80-bit long doubles and
 * prints `%.17Lf` without trailing zeros (`0.1 + 0.2` is `0.3`), which doubles do not give.
 * Both servers get the same commands in the same test; their replies must be equal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RespClient } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

describe('INCRBYFLOAT: Haus replies as Redis does', {
  skip: !targetKinds().includes('redis'),
}, () => {
  let haus: Target;
  let redis: Target;
  let hausClient: RespClient;
  let redisClient: RespClient;
  before(async () => {
    [haus, redis] = await Promise.all([startTarget('haus'), startTarget('redis')]);
    [hausClient, redisClient] = await Promise.all([
      RespClient.connect(haus.port),
      RespClient.connect(redis.port),
    ]);
  });
  after(async () => {
    hausClient.close();
    redisClient.close();
    await Promise.all([haus.stop(), redis.stop()]);
  });

  /** Sets `key` to `start` on both, increments it by each step, compares every reply. */
  async function compare(key: string, start: string | null, steps: string[]): Promise<void> {
    for (const client of [hausClient, redisClient]) {
      await client.call('DEL', key);
      if (start !== null) await client.call('SET', key, start);
    }
    for (const step of steps) {
      const [ours, theirs] = await Promise.all([
        hausClient.call('INCRBYFLOAT', key, step),
        redisClient.call('INCRBYFLOAT', key, step),
      ]);
      assert.deepEqual(ours, theirs, `INCRBYFLOAT ${key} ${step} from ${start}`);
    }
  }

  test('the cases of Redis documentation and ones doubles get wrong', async () => {
    await compare('f1', '10.50', ['0.1', '-5', '5.0e3', '2.0e2']);
    await compare('f2', '0.1', ['0.2', '0.3', '-0.6']);
    await compare('f3', null, ['1234.5', '0.1', '1e17', '-1e17', '3.0000000000000000001']);
    await compare('f4', '5', [
      'abc',
      '1e5000',
      'inf',
      ' 1',
      '1 ',
      '0x10',
      '0x1.8p3',
      '.5',
      '5.',
      '-0',
      '1e-5000',
    ]);
    await compare('f5', 'not a number', ['1']);
    await compare('f6', '1e308', ['1e308', '-3e308']);
  });

  test('random decimals give the same replies', async () => {
    const decimal = fc
      .tuple(
        fc.boolean(),
        fc.stringMatching(/^\d{1,12}$/),
        fc.stringMatching(/^\d{0,12}$/),
        fc.option(fc.integer({ min: -30, max: 30 })),
      )
      .map(([negative, whole, fraction, exponent]) => {
        const digits = fraction === '' ? whole : `${whole}.${fraction}`;
        return `${negative ? '-' : ''}${digits}${exponent === null ? '' : `e${exponent}`}`;
      });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        decimal,
        fc.array(decimal, { minLength: 1, maxLength: 4 }),
        async (start, steps) => {
          await compare(`random-${round++}`, start, steps);
        },
      ),
      { numRuns: 150 },
    );
  });
});
