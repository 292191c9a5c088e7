/**
 * --max-clients and --idle-timeout-ms: the connection over the limit gets one Error line and
 * is closed, and the clients already in are served as before; a silent client is closed only
 * when an idle timeout is set.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { errorReplyText } from '../../src/protocol/reply-format.js';
import { Client, sleep } from '../support/client.js';
import { openFds } from '../support/proc.js';
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

/** A raw client that, unlike the test Client, keeps its side open after the server's FIN. */
function connectHoldingOpen(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 8_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within 8 s`);
    await sleep(100);
  }
}

test('a refused client that keeps its side open is released; shutdown does not wait', async () => {
  const graceMs = 6_000;
  const server = await startServer([
    '--max-clients',
    '1',
    '--shards',
    '1',
    '--shutdown-grace-ms',
    String(graceMs),
  ]);
  const pid = server.child.pid as number;
  const inside = await Client.connect(server.port);
  assert.deepEqual(await inside.call('PING'), PONG);
  const fdsBefore = openFds(pid);

  // The server ends its side after the error line, then closes its socket itself, even though
  // this client never closes its own (socket-close.ts).
  const lingering = await connectHoldingOpen(server.port);
  lingering.on('data', () => {});
  await once(lingering, 'end');
  await eventually(() => openFds(pid) <= fdsBefore, "the refused socket's release");

  const atShutdown = await connectHoldingOpen(server.port);
  atShutdown.on('data', () => {});
  atShutdown.on('error', () => {});
  await once(atShutdown, 'end');
  const started = Date.now();
  inside.close();
  assert.equal(await server.stop(), 0);
  const tookMs = Date.now() - started;
  assert.ok(tookMs < graceMs / 2, `shutdown took ${tookMs} ms of a ${graceMs} ms grace period`);
  lingering.destroy();
  atShutdown.destroy();
});

test('after QUIT the connection is released even if the client sent much more', async () => {
  const server = await startServer(['--max-clients', '1', '--shards', '1']);
  const quitter = await connectHoldingOpen(server.port);
  let received = '';
  quitter.setEncoding('utf8').on('data', (text: string) => {
    received += text;
  });
  quitter.on('error', () => {});
  quitter.write(`QUIT\n${'PUT after-quit x\n'.repeat(64 * 1024)}`);
  await once(quitter, 'end');
  assert.equal(received, '{"status": "Ok"}\n');
  // Its --max-clients place is free again, although this client never closed its side.
  await eventually(async () => {
    const next = await Client.connect(server.port);
    const reply = await next.call('GET after-quit').catch(() => null);
    next.close();
    return reply?.status === 'Error' && reply.mesg === 'Key not found!';
  }, 'a new client being served');
  quitter.destroy();
  assert.equal(await server.stop(), 0);
});
