/**
 * --max-clients and --idle-timeout-ms: the connection over the limit gets one Error line and
 * is closed, and the clients already in are served as before; a silent client is closed only
 * when an idle timeout is set.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { errorReplyText } from '../../src/protocol/reply-format.js';
import { Client, sleep } from '../support/client.js';
import { startServer } from '../support/server-process.js';

test('the client over --max-clients gets one error and is closed; the others go on', async () => {
  const server = await startServer(['--max-clients', '3', '--shards', '1']);
  const inside = await Promise.all([1, 2, 3].map(() => Client.connect(server.port)));
  for (const client of inside) assert.deepEqual(await client.call('PING'), PONG);

  const refused = await Client.connect(server.port);
  await refused.whenClosed;
  assert.deepEqual(refused.unreadLines, [errorReplyText(messages.tooManyClients(3)).trimEnd()]);
  assert.equal(refused.partialLine, '');
  await server.waitForLog((log) => log.msg === 'client refused: too many clients');
  for (const client of inside) assert.deepEqual(await client.call('PING'), PONG);

  // A place freed is a place for the next client.
  inside[0]?.close();
  await inside[0]?.whenClosed;
  await sleep(50);
  const next = await Client.connect(server.port);
  assert.deepEqual(await next.call('PING'), PONG);
  for (const client of [...inside, next]) client.close();
  assert.equal(await server.stop(), 0);
});

test('with --idle-timeout-ms a silent client is closed and a busy one is not', async () => {
  const server = await startServer(['--idle-timeout-ms', '300', '--shards', '1']);
  const silent = await Client.connect(server.port);
  const busy = await Client.connect(server.port);
  const started = Date.now();
  while (Date.now() - started < 900) {
    assert.deepEqual(await busy.call('PING'), PONG);
    await sleep(50);
  }
  await silent.whenClosed;
  assert.deepEqual(await busy.call('PING'), PONG);
  busy.close();
  assert.equal(await server.stop(), 0);
});

test('without an idle timeout a silent client stays connected', async () => {
  const server = await startServer(['--shards', '1']);
  const silent = await Client.connect(server.port);
  await sleep(600);
  assert.deepEqual(await silent.call('PING'), PONG);
  silent.close();
  assert.equal(await server.stop(), 0);
});

const PONG = { status: 'Ok', result: 'PONG' };
