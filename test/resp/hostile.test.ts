/**
 * Hostile RESP: whatever bytes a client sends after a `*`, Haus answers with RESP or closes the
 * connection after a protocol error, never crashes a thread, never holds more than one request's
 * bytes, and the next client is served normally. Haus only: Redis's limits are much larger
 * (512 MB bulks), so the same bytes prove nothing there.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { encodeCommand, error, PONG, RespClient } from '../support/resp-client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const kib = 1024;
let server: RunningServer;

before(async () => {
  server = await startServer(['--shards', '2', '--max-line-bytes', '4kb']);
});
after(async () => {
  assert.equal(await server.stop(), 0);
  assert.ok(!server.logs.some((log) => log.level >= 50), 'no error or fatal log');
});

/** The server still serves a fresh client. */
async function assertAlive(): Promise<void> {
  const probe = await RespClient.connect(server.port);
  assert.deepEqual(await probe.call('PING'), PONG);
  probe.close();
}

test('a bulk longer than --max-line-bytes is a protocol error, and the connection closes', async () => {
  const client = await RespClient.connect(server.port);
  client.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${8 * kib}\r\n`);
  assert.deepEqual(await client.read(), error('ERR Protocol error: invalid bulk length'));
  assert.ok(await client.closesWithin(), 'the server closed the connection');
  await assertAlive();
});

test('a request of many bulks past the limit in total is refused, not buffered', async () => {
  const client = await RespClient.connect(server.port);
  // 40 bulks of 3 KiB each: every one is under the 4 KiB limit, together far over it.
  const chunk = `$${3 * kib}\r\n${'x'.repeat(3 * kib)}\r\n`;
  client.write(`*41\r\n$4\r\nMSET\r\n${chunk.repeat(40)}`);
  const reply = await client.read();
  assert.ok(reply instanceof Object && 'message' in reply, `an error: ${String(reply)}`);
  assert.match((reply as { message: string }).message, /^ERR Protocol error/);
  assert.ok(await client.closesWithin(), 'the server closed the connection');
  await assertAlive();
});

test("a multibulk count past Redis's limit and a negative bulk length are protocol errors", async () => {
  for (const bytes of ['*1048577\r\n', '*1\r\n$-5\r\n', '*1\r\n+PING\r\n', '*x\r\n']) {
    const client = await RespClient.connect(server.port);
    client.write(bytes);
    const reply = await client.read();
    assert.ok(
      reply instanceof Object && 'message' in reply,
      `an error for ${JSON.stringify(bytes)}`,
    );
    assert.match((reply as { message: string }).message, /^ERR Protocol error/);
    assert.ok(await client.closesWithin());
  }
  await assertAlive();
});

test('random bytes after a `*`, split at random points, never crash the server', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      fc.array(fc.nat(200), { maxLength: 6 }),
      async (noise, cuts) => {
        const bytes = Buffer.concat([Buffer.from('*'), Buffer.from(noise)]);
        const client = await RespClient.connect(server.port);
        let at = 0;
        for (const cut of [...cuts].sort((a, b) => a - b)) {
          if (cut <= at || cut >= bytes.length) continue;
          client.write(bytes.subarray(at, cut));
          at = cut;
        }
        client.write(bytes.subarray(at));
        // Whatever came back, the next client is served.
        client.close();
        await assertAlive();
      },
    ),
    { numRuns: 60 },
  );
});

test('valid commands with random binary arguments get a reply each, in order', async () => {
  const client = await RespClient.connect(server.port);
  const names = ['GET', 'SET', 'DEL', 'EXISTS', 'INCR', 'APPEND', 'STRLEN', 'TYPE', 'ECHO'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.constantFrom(...names),
          fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        ),
        { minLength: 1, maxLength: 20 },
      ),
      async (commands) => {
        const encoded = commands.map(([name, args]) =>
          encodeCommand([name, ...args.map((arg) => Buffer.from(arg))]),
        );
        client.write(Buffer.concat(encoded));
        const replies = await client.readMany(commands.length);
        assert.equal(replies.length, commands.length);
      },
    ),
    { numRuns: 40 },
  );
  assert.deepEqual(await client.call('PING'), PONG);
  client.close();
});
