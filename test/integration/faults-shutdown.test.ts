/**
 * SIGTERM while 50 clients pipeline and commit: every reply sent is a whole line, every COMMIT
 * answered Ok is fully applied (the GETs pipelined right after it, on the same connection, see
 * all of its writes), and the server exits 0 as soon as every client is answered and closed:
 * long before --shutdown-grace-ms, which is only for clients that do not close.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { startServer } from '../support/server-process.js';

test('SIGTERM under 50 committing clients: whole lines, whole commits, exit 0 before the grace', {
  timeout: 60_000,
}, async () => {
  // Far more than a clean drain needs (tens of ms): waiting it out would show.
  const graceMs = 8_000;
  const server = await startServer(['--shards', '2', '--shutdown-grace-ms', String(graceMs)]);
  // Client sockets do not allow half-open connections (the net default): each closes on the
  // server's FIN, as a well-behaved client does.
  const clients = await Promise.all(Array.from({ length: 50 }, () => Client.connect(server.port)));
  for (const client of clients) assert.equal(client.socket.allowHalfOpen, false);
  let round = 0;
  const pump = setInterval(() => {
    round++;
    for (const [c, client] of clients.entries()) {
      // Three writes spread over both shards, then reads of all three after the COMMIT.
      const keys = [`x${c}`, `y${c}`, `z${c}`];
      const writes = keys.map((key) => `PUT ${key} ${c}-${round}`).join('\n');
      const reads = keys.map((key) => `GET ${key}`).join('\n');
      client.write(`START\n${writes}\nCOMMIT\n${reads}\n`);
    }
  }, 5);
  await sleep(400);
  const signalled = Date.now();
  await server.stop('SIGTERM');
  const exitedInMs = Date.now() - signalled;
  clearInterval(pump);
  assert.equal(await server.exited, 0);
  // Every client got its replies and closed on the server's FIN: nothing is left to wait for.
  assert.ok(exitedInMs < graceMs / 2, `exited after ${exitedInMs} ms of a ${graceMs} ms grace`);
  await server.waitForLog((log) => log.msg === 'haus stopped');
  assert.ok(
    !server.logs.some((log) => String(log.msg).startsWith('shutdown grace period over')),
    'the server waited out the grace period',
  );

  let commitsSeen = 0;
  for (const [c, client] of clients.entries()) {
    await client.whenClosed;
    assert.equal(client.partialLine, '', `client ${c} got a cut reply`);
    const replies = client.unreadLines.map((line) => JSON.parse(line));
    // Groups of 8 replies: START, 3 PUTs, COMMIT, 3 GETs. A group answered in full after an
    // Ok COMMIT must read the round it committed on all three keys.
    for (let at = 0; at + 8 <= replies.length; at += 8) {
      const group = replies.slice(at, at + 8);
      assert.deepEqual(group.slice(0, 5), Array(5).fill({ status: 'Ok' }));
      const committed = (group[5] as { result: string }).result;
      assert.match(committed, new RegExp(`^${c}-\\d+$`));
      for (const read of group.slice(5))
        assert.deepEqual(read, { status: 'Ok', result: committed });
      commitsSeen++;
    }
  }
  assert.ok(commitsSeen > 50, `only ${commitsSeen} commits answered`);
});
