/**
 * The string commands of SPEC.md section 7 over RESP: replies, reply types, options, error
 * texts and arity, exactly as Redis 7.0 answers them. Every test runs against a real
 * `redis-server` too (test/support/targets.ts), so an expectation Redis does not meet is a
 * wrong test, not a Haus bug.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from '../support/client.js';
import { error, OK, type Reply } from '../support/resp-client.js';
import { describeOnTargets } from '../support/targets.js';

const syntaxError = error('ERR syntax error');
const notInteger = error('ERR value is not an integer or out of range');
const notFloat = error('ERR value is not a valid float');
const invalidExpire = (command: string) => error(`ERR invalid expire time in '${command}' command`);
const wrongArity = (command: string) =>
  error(`ERR wrong number of arguments for '${command}' command`);
const int64Max = '9223372036854775807';
const int64Min = '-9223372036854775808';

/** Asserts `value` is a number in [low, high]: TTLs are read after some time has passed. */
function assertBetween(value: Reply, low: number, high: number): void {
  assert.equal(typeof value, 'number', `expected an integer reply, got ${String(value)}`);
  assert.ok(
    (value as number) >= low && (value as number) <= high,
    `${value} not in ${low}..${high}`,
  );
}

describeOnTargets('string commands over RESP', {}, (ctx) => {
  test('SET answers +OK and GET the value as a bulk string; a missing key is a null bulk', async () => {
    assert.equal(await ctx.client.callRaw('SET', 'str:get:a', 'hello'), '+OK\r\n');
    assert.equal(await ctx.client.callRaw('GET', 'str:get:a'), '$5\r\nhello\r\n');
    assert.equal(await ctx.client.callRaw('GET', 'str:get:missing'), '$-1\r\n');
    assert.deepEqual(await ctx.client.call('SET', 'str:get:a', ''), OK);
    assert.equal(await ctx.client.callRaw('GET', 'str:get:a'), '$0\r\n\r\n');
  });

  test('command names are case-insensitive and keys are case-sensitive', async () => {
    assert.deepEqual(await ctx.client.call('set', 'str:case:K', 'upper'), OK);
    assert.deepEqual(await ctx.client.call('SeT', 'str:case:k', 'lower'), OK);
    assert.equal(await ctx.client.call('gEt', 'str:case:K'), 'upper');
    assert.equal(await ctx.client.call('get', 'str:case:k'), 'lower');
  });

  test('a command with the wrong number of arguments gets Redis arity error', async () => {
    const cases: Array<[string[], string]> = [
      [['GET'], 'get'],
      [['GET', 'a', 'b'], 'get'],
      [['SET', 'a'], 'set'],
      [['SETNX', 'a'], 'setnx'],
      [['SETEX', 'a', '10'], 'setex'],
      [['PSETEX', 'a', '10'], 'psetex'],
      [['GETSET', 'a'], 'getset'],
      [['GETDEL'], 'getdel'],
      [['GETEX'], 'getex'],
      [['MGET'], 'mget'],
      [['MSET'], 'mset'],
      [['MSET', 'a'], 'mset'],
      [['MSET', 'a', '1', 'b'], 'mset'],
      [['MSETNX', 'a', '1', 'b'], 'msetnx'],
      [['INCR'], 'incr'],
      [['DECR', 'a', 'b'], 'decr'],
      [['INCRBY', 'a'], 'incrby'],
      [['DECRBY', 'a'], 'decrby'],
      [['INCRBYFLOAT', 'a'], 'incrbyfloat'],
      [['APPEND', 'a'], 'append'],
      [['STRLEN'], 'strlen'],
      [['GETRANGE', 'a', '0'], 'getrange'],
      [['SETRANGE', 'a', '0'], 'setrange'],
    ];
    for (const [command, name] of cases) {
      assert.deepEqual(await ctx.client.call(...command), wrongArity(name), command.join(' '));
    }
  });

  test('SET EX and PX set a time to live, a plain SET clears it, KEEPTTL keeps it', async () => {
    assert.deepEqual(await ctx.client.call('SET', 'str:ttl:a', 'v', 'EX', '100'), OK);
    assertBetween(await ctx.client.call('TTL', 'str:ttl:a'), 99, 100);
    assert.deepEqual(await ctx.client.call('SET', 'str:ttl:a', 'v', 'PX', '50000'), OK);
    assertBetween(await ctx.client.call('PTTL', 'str:ttl:a'), 49_000, 50_000);
    assert.deepEqual(await ctx.client.call('SET', 'str:ttl:a', 'kept', 'KEEPTTL'), OK);
    assertBetween(await ctx.client.call('PTTL', 'str:ttl:a'), 49_000, 50_000);
    assert.equal(await ctx.client.call('GET', 'str:ttl:a'), 'kept');
    assert.deepEqual(await ctx.client.call('SET', 'str:ttl:a', 'plain'), OK);
    assert.equal(await ctx.client.call('TTL', 'str:ttl:a'), -1);
    // Options are case-insensitive.
    assert.deepEqual(await ctx.client.call('SET', 'str:ttl:a', 'v', 'ex', '100'), OK);
    assertBetween(await ctx.client.call('TTL', 'str:ttl:a'), 99, 100);
  });

  test('SET EXAT and PXAT set an absolute expiry time; one in the past removes the key', async () => {
    const atSeconds = Math.floor(Date.now() / 1000) + 1000;
    assert.deepEqual(await ctx.client.call('SET', 'str:at:a', 'v', 'EXAT', atSeconds), OK);
    assert.equal(await ctx.client.call('EXPIRETIME', 'str:at:a'), atSeconds);
    const atMs = Date.now() + 500_000;
    assert.deepEqual(await ctx.client.call('SET', 'str:at:a', 'v', 'PXAT', atMs), OK);
    assert.equal(await ctx.client.call('PEXPIRETIME', 'str:at:a'), atMs);
    assert.deepEqual(await ctx.client.call('SET', 'str:at:a', 'v', 'EXAT', '1'), OK);
    assert.equal(await ctx.client.call('GET', 'str:at:a'), null);
    assert.equal(await ctx.client.call('EXISTS', 'str:at:a'), 0);
  });

  test('a key SET with PX is gone once its time has passed', async () => {
    assert.deepEqual(await ctx.client.call('SET', 'str:px:a', 'v', 'PX', '150'), OK);
    assert.equal(await ctx.client.call('GET', 'str:px:a'), 'v');
    await sleep(300);
    assert.equal(await ctx.client.call('GET', 'str:px:a'), null);
    assert.equal(await ctx.client.call('TTL', 'str:px:a'), -2);
  });

  test('SET NX sets only a missing key and XX only an existing one; otherwise a null bulk', async () => {
    assert.equal(await ctx.client.callRaw('SET', 'str:nx:a', 'first', 'NX'), '+OK\r\n');
    assert.equal(await ctx.client.callRaw('SET', 'str:nx:a', 'second', 'NX'), '$-1\r\n');
    assert.equal(await ctx.client.call('GET', 'str:nx:a'), 'first');
    assert.equal(await ctx.client.callRaw('SET', 'str:nx:b', 'x', 'XX'), '$-1\r\n');
    assert.equal(await ctx.client.call('EXISTS', 'str:nx:b'), 0);
    assert.deepEqual(await ctx.client.call('SET', 'str:nx:a', 'third', 'XX'), OK);
    assert.equal(await ctx.client.call('GET', 'str:nx:a'), 'third');
  });

  test('SET GET returns the old value (null when missing), also with NX and XX', async () => {
    assert.equal(await ctx.client.callRaw('SET', 'str:setget:a', 'one', 'GET'), '$-1\r\n');
    assert.equal(await ctx.client.call('SET', 'str:setget:a', 'two', 'GET'), 'one');
    assert.equal(await ctx.client.call('GET', 'str:setget:a'), 'two');
    // NX with GET (Redis 7.0+): the old value comes back and nothing is set.
    assert.equal(await ctx.client.call('SET', 'str:setget:a', 'three', 'NX', 'GET'), 'two');
    assert.equal(await ctx.client.call('GET', 'str:setget:a'), 'two');
    assert.equal(await ctx.client.call('SET', 'str:setget:b', 'new', 'NX', 'GET'), null);
    assert.equal(await ctx.client.call('GET', 'str:setget:b'), 'new');
    assert.equal(await ctx.client.call('SET', 'str:setget:c', 'x', 'XX', 'GET'), null);
    assert.equal(await ctx.client.call('EXISTS', 'str:setget:c'), 0);
    assert.equal(
      await ctx.client.call('SET', 'str:setget:a', 'four', 'XX', 'GET', 'EX', '100'),
      'two',
    );
    assertBetween(await ctx.client.call('TTL', 'str:setget:a'), 99, 100);
  });

  test('SET with conflicting, unknown or incomplete options is a syntax error; nothing is set', async () => {
    await ctx.client.call('SET', 'str:seterr:a', 'before');
    const cases: string[][] = [
      ['EX', '10', 'PX', '10'],
      ['EX', '10', 'EXAT', '10'],
      ['PX', '10', 'PXAT', '10'],
      ['NX', 'XX'],
      ['KEEPTTL', 'EX', '10'],
      ['PX', '10', 'KEEPTTL'],
      ['EX'],
      ['NOSUCHOPTION'],
      ['GET', 'EX'],
    ];
    for (const options of cases) {
      assert.deepEqual(
        await ctx.client.call('SET', 'str:seterr:a', 'after', ...options),
        syntaxError,
        options.join(' '),
      );
    }
    assert.equal(await ctx.client.call('GET', 'str:seterr:a'), 'before');
  });

  test("SET with a zero, negative or overflowing expire time gets Redis's expire error", async () => {
    await ctx.client.call('SET', 'str:setexp:a', 'before');
    const cases: string[][] = [
      ['EX', '0'],
      ['EX', '-1'],
      ['PX', '0'],
      ['PX', '-100'],
      ['EXAT', '0'],
      ['PXAT', '-1'],
      ['EX', int64Max],
      ['PX', int64Max],
      ['EXAT', int64Max],
    ];
    for (const options of cases) {
      assert.deepEqual(
        await ctx.client.call('SET', 'str:setexp:a', 'after', ...options),
        invalidExpire('set'),
        options.join(' '),
      );
    }
    assert.deepEqual(
      await ctx.client.call('SET', 'str:setexp:a', 'after', 'EX', 'ten'),
      notInteger,
    );
    assert.deepEqual(
      await ctx.client.call('SET', 'str:setexp:a', 'after', 'PX', '1.5'),
      notInteger,
    );
    assert.equal(await ctx.client.call('GET', 'str:setexp:a'), 'before');
    assert.equal(await ctx.client.call('TTL', 'str:setexp:a'), -1);
  });

  test('SETNX answers 1 when it set the key and 0 when the key existed', async () => {
    assert.equal(await ctx.client.call('SETNX', 'str:setnx:a', 'first'), 1);
    assert.equal(await ctx.client.call('SETNX', 'str:setnx:a', 'second'), 0);
    assert.equal(await ctx.client.call('GET', 'str:setnx:a'), 'first');
  });

  test('SETEX and PSETEX set a value with a time to live and reject a bad one', async () => {
    assert.deepEqual(await ctx.client.call('SETEX', 'str:setex:a', '100', 'v'), OK);
    assertBetween(await ctx.client.call('TTL', 'str:setex:a'), 99, 100);
    assert.deepEqual(await ctx.client.call('PSETEX', 'str:setex:b', '50000', 'w'), OK);
    assertBetween(await ctx.client.call('PTTL', 'str:setex:b'), 49_000, 50_000);
    assert.equal(await ctx.client.call('GET', 'str:setex:b'), 'w');
    assert.deepEqual(
      await ctx.client.call('SETEX', 'str:setex:c', '0', 'v'),
      invalidExpire('setex'),
    );
    assert.deepEqual(
      await ctx.client.call('SETEX', 'str:setex:c', '-1', 'v'),
      invalidExpire('setex'),
    );
    assert.deepEqual(
      await ctx.client.call('PSETEX', 'str:setex:c', '0', 'v'),
      invalidExpire('psetex'),
    );
    assert.deepEqual(await ctx.client.call('SETEX', 'str:setex:c', 'abc', 'v'), notInteger);
    assert.equal(await ctx.client.call('EXISTS', 'str:setex:c'), 0);
  });

  test('GETSET returns the old value, sets the new one and clears the time to live', async () => {
    assert.equal(await ctx.client.call('GETSET', 'str:getset:a', 'one'), null);
    await ctx.client.call('SET', 'str:getset:a', 'two', 'EX', '100');
    assert.equal(await ctx.client.call('GETSET', 'str:getset:a', 'three'), 'two');
    assert.equal(await ctx.client.call('GET', 'str:getset:a'), 'three');
    assert.equal(await ctx.client.call('TTL', 'str:getset:a'), -1);
  });

  test('GETDEL returns the value and deletes the key; a missing key is null', async () => {
    await ctx.client.call('SET', 'str:getdel:a', 'v');
    assert.equal(await ctx.client.call('GETDEL', 'str:getdel:a'), 'v');
    assert.equal(await ctx.client.call('EXISTS', 'str:getdel:a'), 0);
    assert.equal(await ctx.client.callRaw('GETDEL', 'str:getdel:a'), '$-1\r\n');
  });

  test('GETEX returns the value and sets or clears its expiry', async () => {
    await ctx.client.call('SET', 'str:getex:a', 'v');
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a'), 'v');
    assert.equal(await ctx.client.call('TTL', 'str:getex:a'), -1);
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'EX', '100'), 'v');
    assertBetween(await ctx.client.call('TTL', 'str:getex:a'), 99, 100);
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'PX', '50000'), 'v');
    assertBetween(await ctx.client.call('PTTL', 'str:getex:a'), 49_000, 50_000);
    const atSeconds = Math.floor(Date.now() / 1000) + 1000;
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'EXAT', atSeconds), 'v');
    assert.equal(await ctx.client.call('EXPIRETIME', 'str:getex:a'), atSeconds);
    const atMs = Date.now() + 500_000;
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'PXAT', atMs), 'v');
    assert.equal(await ctx.client.call('PEXPIRETIME', 'str:getex:a'), atMs);
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'PERSIST'), 'v');
    assert.equal(await ctx.client.call('TTL', 'str:getex:a'), -1);
    assert.equal(await ctx.client.call('GETEX', 'str:getex:missing', 'EX', '100'), null);
    assert.equal(await ctx.client.call('EXISTS', 'str:getex:missing'), 0);
    // An absolute time in the past returns the value and removes the key.
    assert.equal(await ctx.client.call('GETEX', 'str:getex:a', 'PXAT', '1'), 'v');
    assert.equal(await ctx.client.call('EXISTS', 'str:getex:a'), 0);
  });

  test('GETEX with a bad expire time or conflicting options gets an error; nothing changes', async () => {
    await ctx.client.call('SET', 'str:getexerr:a', 'v');
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'EX', '0'),
      invalidExpire('getex'),
    );
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'PX', '-5'),
      invalidExpire('getex'),
    );
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'EXAT', '0'),
      invalidExpire('getex'),
    );
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'EX', int64Max),
      invalidExpire('getex'),
    );
    assert.deepEqual(await ctx.client.call('GETEX', 'str:getexerr:a', 'EX', 'abc'), notInteger);
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'PERSIST', 'EX', '10'),
      syntaxError,
    );
    assert.deepEqual(
      await ctx.client.call('GETEX', 'str:getexerr:a', 'EX', '10', 'PX', '10'),
      syntaxError,
    );
    assert.deepEqual(await ctx.client.call('GETEX', 'str:getexerr:a', 'EX'), syntaxError);
    assert.deepEqual(await ctx.client.call('GETEX', 'str:getexerr:a', 'KEEPTTL'), syntaxError);
    assert.equal(await ctx.client.call('GET', 'str:getexerr:a'), 'v');
    assert.equal(await ctx.client.call('TTL', 'str:getexerr:a'), -1);
  });

  test('MGET answers an array with a null for each missing key', async () => {
    await ctx.client.call('SET', 'str:mget:a', '1');
    await ctx.client.call('SET', 'str:mget:c', '3');
    assert.equal(
      await ctx.client.callRaw('MGET', 'str:mget:a', 'str:mget:b', 'str:mget:c', 'str:mget:a'),
      '*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n$1\r\n1\r\n',
    );
  });

  test('MSET sets every pair and clears their times to live; a later pair of a key wins', async () => {
    await ctx.client.call('SET', 'str:mset:a', 'old', 'EX', '100');
    assert.deepEqual(
      await ctx.client.call('MSET', 'str:mset:a', '1', 'str:mset:b', '2', 'str:mset:a', '3'),
      OK,
    );
    assert.deepEqual(await ctx.client.call('MGET', 'str:mset:a', 'str:mset:b'), ['3', '2']);
    assert.equal(await ctx.client.call('TTL', 'str:mset:a'), -1);
  });

  test('MSETNX sets all pairs when no key exists and none when any exists', async () => {
    assert.equal(await ctx.client.call('MSETNX', 'str:msetnx:a', '1', 'str:msetnx:b', '2'), 1);
    assert.equal(await ctx.client.call('MSETNX', 'str:msetnx:c', '3', 'str:msetnx:b', 'x'), 0);
    assert.deepEqual(
      await ctx.client.call('MGET', 'str:msetnx:a', 'str:msetnx:b', 'str:msetnx:c'),
      ['1', '2', null],
    );
  });

  test('INCR, DECR, INCRBY and DECRBY answer integers; a missing key counts from 0', async () => {
    assert.equal(await ctx.client.callRaw('INCR', 'str:incr:a'), ':1\r\n');
    assert.equal(await ctx.client.call('INCRBY', 'str:incr:a', '41'), 42);
    assert.equal(await ctx.client.call('DECR', 'str:incr:a'), 41);
    assert.equal(await ctx.client.call('DECRBY', 'str:incr:a', '50'), -9);
    assert.equal(await ctx.client.call('INCRBY', 'str:incr:a', '-1'), -10);
    assert.equal(await ctx.client.call('GET', 'str:incr:a'), '-10');
    assert.equal(await ctx.client.call('DECR', 'str:incr:b'), -1);
    await ctx.client.call('SET', 'str:incr:c', '007');
    assert.deepEqual(await ctx.client.call('INCR', 'str:incr:c'), notInteger);
  });

  test('INCR keeps the time to live of the key', async () => {
    await ctx.client.call('SET', 'str:incrttl:a', '1', 'EX', '100');
    assert.equal(await ctx.client.call('INCR', 'str:incrttl:a'), 2);
    assertBetween(await ctx.client.call('TTL', 'str:incrttl:a'), 99, 100);
  });

  test('INCR of a value or by an amount that is not a 64-bit integer is refused', async () => {
    for (const value of ['abc', '1.5', ' 1', '1 ', '01', '-0', '', int64Max.concat('0')]) {
      await ctx.client.call('SET', 'str:incrbad:a', value);
      assert.deepEqual(
        await ctx.client.call('INCR', 'str:incrbad:a'),
        notInteger,
        `value '${value}'`,
      );
      assert.equal(await ctx.client.call('GET', 'str:incrbad:a'), value);
    }
    await ctx.client.call('SET', 'str:incrbad:b', '5');
    assert.deepEqual(await ctx.client.call('INCRBY', 'str:incrbad:b', '1.5'), notInteger);
    assert.deepEqual(await ctx.client.call('DECRBY', 'str:incrbad:b', 'x'), notInteger);
    assert.deepEqual(
      await ctx.client.call('INCRBY', 'str:incrbad:b', '99999999999999999999'),
      notInteger,
    );
    assert.equal(await ctx.client.call('GET', 'str:incrbad:b'), '5');
  });

  test('INCR past the 64-bit range is an overflow error and the value stays', async () => {
    await ctx.client.call('SET', 'str:overflow:a', int64Max);
    assert.equal(await ctx.client.callRaw('GET', 'str:overflow:a'), `$19\r\n${int64Max}\r\n`);
    assert.deepEqual(
      await ctx.client.call('INCR', 'str:overflow:a'),
      error('ERR increment or decrement would overflow'),
    );
    assert.equal(await ctx.client.call('GET', 'str:overflow:a'), int64Max);
    assert.equal(
      await ctx.client.callRaw('DECRBY', 'str:overflow:a', '1'),
      ':9223372036854775806\r\n',
    );
    await ctx.client.call('SET', 'str:overflow:b', int64Min);
    assert.deepEqual(
      await ctx.client.call('DECR', 'str:overflow:b'),
      error('ERR increment or decrement would overflow'),
    );
    assert.deepEqual(
      await ctx.client.call('DECRBY', 'str:overflow:c', int64Min),
      error('ERR decrement would overflow'),
    );
    assert.equal(
      await ctx.client.callRaw('INCRBY', 'str:overflow:c', int64Min),
      `:${int64Min}\r\n`,
    );
  });

  test("INCRBYFLOAT answers a bulk string in Redis's number format", async () => {
    // The examples of Redis's INCRBYFLOAT documentation.
    await ctx.client.call('SET', 'str:float:a', '10.50');
    assert.equal(await ctx.client.callRaw('INCRBYFLOAT', 'str:float:a', '0.1'), '$4\r\n10.6\r\n');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:a', '-5'), '5.6');
    await ctx.client.call('SET', 'str:float:a', '5.0e3');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:a', '2.0e2'), '5200');
    assert.equal(await ctx.client.call('GET', 'str:float:a'), '5200');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:b', '5.0e3'), '5000');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:b', '-5000'), '0');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:c', '1.5'), '1.5');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:c', '1'), '2.5');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:c', '-3.25'), '-0.75');
    await ctx.client.call('SET', 'str:float:d', '3');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:float:d', '0.5'), '3.5');
  });

  test('INCRBYFLOAT keeps the time to live of the key', async () => {
    await ctx.client.call('SET', 'str:floatttl:a', '1', 'EX', '100');
    assert.equal(await ctx.client.call('INCRBYFLOAT', 'str:floatttl:a', '1'), '2');
    assertBetween(await ctx.client.call('TTL', 'str:floatttl:a'), 99, 100);
  });

  test('INCRBYFLOAT of a value or by an amount that is not a float is refused', async () => {
    for (const value of ['abc', '1.5 ', ' 1', '', '1,5']) {
      await ctx.client.call('SET', 'str:floatbad:a', value);
      assert.deepEqual(
        await ctx.client.call('INCRBYFLOAT', 'str:floatbad:a', '1'),
        notFloat,
        value,
      );
      assert.equal(await ctx.client.call('GET', 'str:floatbad:a'), value);
    }
    await ctx.client.call('SET', 'str:floatbad:b', '1');
    for (const increment of ['abc', 'nan', ' 1', '']) {
      assert.deepEqual(await ctx.client.call('INCRBYFLOAT', 'str:floatbad:b', increment), notFloat);
    }
    assert.equal(await ctx.client.call('GET', 'str:floatbad:b'), '1');
  });

  test('INCRBYFLOAT that would give infinity is refused and the value stays', async () => {
    const nanOrInfinity = error('ERR increment would produce NaN or Infinity');
    await ctx.client.call('SET', 'str:floatinf:a', '1');
    assert.deepEqual(await ctx.client.call('INCRBYFLOAT', 'str:floatinf:a', 'inf'), nanOrInfinity);
    assert.deepEqual(await ctx.client.call('INCRBYFLOAT', 'str:floatinf:a', '-inf'), nanOrInfinity);
    await ctx.client.call('SET', 'str:floatinf:b', 'inf');
    assert.deepEqual(await ctx.client.call('INCRBYFLOAT', 'str:floatinf:b', '1'), nanOrInfinity);
    assert.equal(await ctx.client.call('GET', 'str:floatinf:a'), '1');
    assert.equal(await ctx.client.call('GET', 'str:floatinf:b'), 'inf');
  });

  test('APPEND creates or extends the value and answers the new length', async () => {
    assert.equal(await ctx.client.call('APPEND', 'str:append:a', 'Hello'), 5);
    assert.equal(await ctx.client.call('APPEND', 'str:append:a', ' World'), 11);
    assert.equal(await ctx.client.call('APPEND', 'str:append:a', ''), 11);
    assert.equal(await ctx.client.call('GET', 'str:append:a'), 'Hello World');
    await ctx.client.call('SET', 'str:append:b', '1', 'EX', '100');
    assert.equal(await ctx.client.call('APPEND', 'str:append:b', '2'), 2);
    assertBetween(await ctx.client.call('TTL', 'str:append:b'), 99, 100);
  });

  test('STRLEN answers the length in bytes, 0 for a missing key', async () => {
    await ctx.client.call('SET', 'str:strlen:a', 'Hello world');
    assert.equal(await ctx.client.call('STRLEN', 'str:strlen:a'), 11);
    await ctx.client.call('SET', 'str:strlen:b', 'é说');
    assert.equal(await ctx.client.call('STRLEN', 'str:strlen:b'), 5);
    assert.equal(await ctx.client.call('STRLEN', 'str:strlen:missing'), 0);
  });

  test('GETRANGE takes inclusive byte offsets; negative ones count from the end', async () => {
    await ctx.client.call('SET', 'str:getrange:a', 'This is a string');
    const cases: Array<[string, string, string]> = [
      ['0', '3', 'This'],
      ['-3', '-1', 'ing'],
      ['0', '-1', 'This is a string'],
      ['10', '100', 'string'],
      ['-100', '-1', 'This is a string'],
      ['-100', '3', 'This'],
      ['5', '3', ''],
      ['-1', '-100', ''],
      ['100', '200', ''],
      ['15', '15', 'g'],
    ];
    for (const [start, end, expected] of cases) {
      assert.equal(
        await ctx.client.call('GETRANGE', 'str:getrange:a', start, end),
        expected,
        start + end,
      );
    }
    assert.equal(
      await ctx.client.callRaw('GETRANGE', 'str:getrange:missing', '0', '-1'),
      '$0\r\n\r\n',
    );
    assert.deepEqual(await ctx.client.call('GETRANGE', 'str:getrange:a', '0', 'x'), notInteger);
  });

  test('SETRANGE overwrites from an offset, pads with zero bytes and answers the length', async () => {
    await ctx.client.call('SET', 'str:setrange:a', 'Hello World');
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:a', '6', 'Redis'), 11);
    assert.equal(await ctx.client.call('GET', 'str:setrange:a'), 'Hello Redis');
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:a', '9', 'xyz'), 12);
    assert.equal(await ctx.client.call('GET', 'str:setrange:a'), 'Hello Redxyz');
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:b', '6', 'Redis'), 11);
    assert.equal(await ctx.client.call('GET', 'str:setrange:b'), '\0\0\0\0\0\0Redis');
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:a', '14', '!'), 15);
    assert.equal(await ctx.client.call('GET', 'str:setrange:a'), 'Hello Redxyz\0\0!');
    // An empty value on a missing key creates nothing, whatever the offset.
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:c', '5', ''), 0);
    assert.equal(await ctx.client.call('EXISTS', 'str:setrange:c'), 0);
    assert.equal(await ctx.client.call('SETRANGE', 'str:setrange:a', '100', ''), 15);
  });

  test('SETRANGE with a negative offset or past the maximum string size is refused', async () => {
    await ctx.client.call('SET', 'str:setrangeerr:a', 'v');
    assert.deepEqual(
      await ctx.client.call('SETRANGE', 'str:setrangeerr:a', '-1', 'x'),
      error('ERR offset is out of range'),
    );
    assert.deepEqual(
      await ctx.client.call('SETRANGE', 'str:setrangeerr:a', String(512 * 1024 * 1024), 'x'),
      error('ERR string exceeds maximum allowed size (proto-max-bulk-len)'),
    );
    assert.deepEqual(
      await ctx.client.call('SETRANGE', 'str:setrangeerr:a', 'one', 'x'),
      notInteger,
    );
    assert.equal(await ctx.client.call('GET', 'str:setrangeerr:a'), 'v');
    assert.equal(await ctx.client.call('EXISTS', 'str:setrangeerr:b'), 0);
  });
});
