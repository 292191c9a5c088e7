/**
 * A password (SPEC.md section 10): until a connection authenticates, every command but AUTH,
 * HELLO … AUTH, QUIT and RESET is refused, over RESP exactly as Redis refuses it (the same tests
 * run against a real redis-server started with the same password) and over the line protocol
 * with a JSON Error. The password is never logged.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { messages } from '../../src/protocol/messages.js';
import { Client } from '../support/client.js';
import { error, OK, PONG, RespClient, simple } from '../support/resp-client.js';
import { startServer } from '../support/server-process.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

const run = promisify(execFile);
const password = 'open sesame';
const noAuth = error('NOAUTH Authentication required.');
const wrongPass = error('WRONGPASS invalid username-password pair or user is disabled.');

for (const kind of targetKinds()) {
  describe(`a password over RESP (${kind})`, () => {
    let target: Target;
    before(async () => {
      target = await startTarget(kind, { password });
    });
    after(() => target.stop());

    test('commands before AUTH are refused; a wrong password too; the right one lets them in', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('GET', 'a'), noAuth);
      assert.deepEqual(await client.call('PING'), noAuth);
      assert.deepEqual(await client.call('AUTH', 'wrong'), wrongPass);
      assert.deepEqual(await client.call('SET', 'a', '1'), noAuth);
      assert.deepEqual(await client.call('AUTH', password), OK);
      assert.deepEqual(await client.call('SET', 'auth-a', '1'), OK);
      assert.equal(await client.call('GET', 'auth-a'), '1');
      client.close();
    });

    test('AUTH default password works; another user name does not', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('AUTH', 'someone', password), wrongPass);
      assert.deepEqual(await client.call('AUTH', 'default', password), OK);
      assert.deepEqual(await client.call('PING'), PONG);
      client.close();
    });

    test('HELLO needs AUTH in it before authentication; HELLO 3 AUTH switches and authenticates', async () => {
      const client = await RespClient.connect(target.port);
      const refused = await client.call('HELLO', '3');
      assert.ok(refused instanceof Object && 'message' in refused);
      assert.match((refused as { message: string }).message, /^NOAUTH HELLO must be called/);
      const hello = await client.call('HELLO', '3', 'AUTH', 'default', password);
      assert.ok(hello instanceof Map, 'RESP3 map');
      assert.equal(hello.get('proto'), 3);
      assert.equal(await client.call('GET', 'no-such-key'), null);
      client.close();
    });

    test('QUIT works before AUTH; RESET logs the connection out again', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('AUTH', password), OK);
      assert.deepEqual(await client.call('RESET'), simple('RESET'));
      assert.deepEqual(await client.call('GET', 'a'), noAuth);
      assert.deepEqual(await client.call('QUIT'), OK);
      assert.ok(await client.closesWithin());
    });

    test('client libraries and redis-cli connect with the password', async () => {
      const ioredis = new Redis({ port: target.port, password, lazyConnect: true });
      await ioredis.connect();
      assert.equal(await ioredis.set('auth-io', 'x'), 'OK');
      assert.equal(await ioredis.get('auth-io'), 'x');
      ioredis.disconnect();
      const nodeRedis = createClient({ socket: { port: target.port }, password });
      await nodeRedis.connect();
      assert.equal(await nodeRedis.get('auth-io'), 'x');
      await nodeRedis.quit();
      const { stdout } = await run('redis-cli', [
        '-p',
        String(target.port),
        '-a',
        password,
        '--no-auth-warning',
        'GET',
        'auth-io',
      ]);
      assert.equal(stdout.trim(), 'x');
    });
  });
}

describe('a password over the line protocol (haus)', () => {
  test('commands before AUTH get an Error; AUTH with the password (spaces and all) lets them in', async (t) => {
    const server = await startServer(['--requirepass', password]);
    t.after(() => server.stop());
    const client = await Client.connect(server.port);
    const required = { status: 'Error', mesg: messages.authRequired };
    assert.deepEqual(await client.call('PUT a 1'), required);
    assert.deepEqual(await client.call('PING'), required);
    assert.deepEqual(await client.call('AUTH open'), {
      status: 'Error',
      mesg: messages.authInvalid,
    });
    assert.deepEqual(await client.call(`AUTH ${password}`), { status: 'Ok' });
    assert.deepEqual(await client.call('PUT a 1'), { status: 'Ok' });
    assert.deepEqual(await client.call('GET a'), { status: 'Ok', result: '1' });
    client.close();
    const logs = JSON.stringify(server.logs);
    assert.ok(!logs.includes('sesame'), 'the password is never logged');
  });

  test('--password-file takes the password from a file, its trailing newline dropped', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'haus-pw-'));
    const file = join(dir, 'password');
    writeFileSync(file, 'from a file\n');
    const server = await startServer(['--password-file', file]);
    t.after(() => server.stop());
    const client = await Client.connect(server.port);
    assert.deepEqual(await client.call('AUTH from a file'), { status: 'Ok' });
    assert.deepEqual(await client.call('PING'), { status: 'Ok', result: 'PONG' });
    client.close();
  });

  test('random passwords (any bytes, any length) never authenticate and never hurt the server', async (t) => {
    const server = await startServer(['--requirepass', password]);
    t.after(() => server.stop());
    const client = await RespClient.connect(server.port);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (guess) => {
        fc.pre(Buffer.from(guess).toString('latin1') !== password);
        assert.deepEqual(await client.call('AUTH', Buffer.from(guess)), wrongPass);
        assert.deepEqual(await client.call('GET', 'a'), noAuth);
      }),
      { numRuns: 100 },
    );
    assert.deepEqual(await client.call('AUTH', password), OK);
    client.close();
  });

  test('AUTH without a password set on the server says so', async (t) => {
    const server = await startServer([]);
    t.after(() => server.stop());
    const client = await Client.connect(server.port);
    assert.deepEqual(await client.call('AUTH x'), {
      status: 'Error',
      mesg: messages.authNotConfigured,
    });
    client.close();
  });

  test('a warning at start without a password on a non-loopback address, none with one', async (t) => {
    const open = await startServer(['--host', '0.0.0.0']);
    t.after(() => open.stop());
    const warning = await open.waitForLog((line) => line.level === 40);
    assert.match(warning.msg, /no password set .*anyone who reaches this address/);
    const closed = await startServer(['--host', '0.0.0.0', '--requirepass', password]);
    t.after(() => closed.stop());
    await closed.waitForLog((line) => line.msg === 'haus listening');
    assert.ok(!closed.logs.some((line) => line.level === 40), 'no warning with a password');
  });
});
