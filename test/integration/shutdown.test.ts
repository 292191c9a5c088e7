/**
 * SIGTERM and SIGINT: stop accepting, answer what was received, close, exit 0.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Client } from '../support/client.js';
import { startServer } from '../support/server-process.js';

describe('shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} answers commands already received, closes clients and exits 0`, async () => {
      const server = await startServer(['--shards', '2']);
      const client = await Client.connect(server.port);
      let script = 'START\n';
      for (let i = 0; i < 50; i++) script += `PUT shut-${i} ${i}\n`;
      script += 'COMMIT\n';
      for (let i = 0; i < 50; i++) script += `GET shut-${i}\n`;
      client.write(script);
      await client.readLines(1);
      const exitCode = server.stop(signal);
      const replies = await client.readLines(101);
      assert.equal(replies[50], '{"status": "Ok"}', 'the COMMIT completed');
      for (let i = 0; i < 50; i++) {
        assert.equal(replies[51 + i], `{"status": "Ok", "result": "${i}"}`);
      }
      await client.whenClosed;
      assert.equal(client.partialLine, '', 'no reply line was cut');
      assert.equal(await exitCode, 0);
      const messages = server.logs.map((line) => line.msg);
      assert.ok(messages.includes('haus stopped'), messages.join(', '));
      assert.deepEqual(server.strayOutput, []);
    });
  }

  test('a client idling in a transaction is closed and the server exits 0', async () => {
    const server = await startServer(['--shards', '1']);
    const client = await Client.connect(server.port);
    assert.equal(await client.request('START'), '{"status": "Ok"}');
    assert.equal(await client.request('PUT idle x'), '{"status": "Ok"}');
    assert.equal(await server.stop(), 0);
    await client.whenClosed;
  });
});

describe('shutdown drops unterminated lines', () => {
  test('a partial line pending at SIGTERM is not executed, even when the client then ends', async () => {
    const server = await startServer(['--shards', '1', '--enable-debug-commands']);
    const client = await Client.connect(server.port);
    // Were this unterminated line run, it would crash the shard (and log it).
    client.write('PING\nDEBUG CRASH-SHARD 0');
    assert.deepEqual(await client.readLines(1), ['{"status": "Ok", "result": "PONG"}']);
    assert.equal(await server.stop(), 0);
    await client.whenClosed;
    assert.equal(client.unreadLines.length, 0);
    assert.ok(!server.logs.some((line) => String(line.msg).startsWith('shard failed')));
  });
});
