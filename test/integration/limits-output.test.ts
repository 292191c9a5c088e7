/**
 * Per-client output limits: a client that pipelines requests without reading its replies is
 * no longer read past --client-output-soft-bytes (TCP pushes back on it), is served again once
 * it reads, and is closed past --client-output-hard-bytes. The server's memory stays bounded
 * whatever the client pipelines, including GETs of a large value.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { startServer } from '../support/server-process.js';

const kib = 1024;
const mib = 1024 * kib;

const limits = { timeout: 60_000 };

/** One shard and the three limits these tests play with, as flag values (`64kb`, `1mb`). */
function startWithOutputLimits(sizes: { lineBytes: string; softBytes: string; hardBytes: string }) {
  return startServer([
    '--shards',
    '1',
    '--max-line-bytes',
    sizes.lineBytes,
    '--client-output-soft-bytes',
    sizes.softBytes,
    '--client-output-hard-bytes',
    sizes.hardBytes,
  ]);
}

test(
  'GETs of a 1 MiB value pipelined without reading: memory bounded, all answered in order',
  limits,
  async (t: TestContext) => {
    const server = await startServer(['--shards', '2', '--client-output-soft-bytes', '4mb']);
    t.after(() => server.stop());
    const pid = server.child.pid as number;
    const client = await Client.connect(server.port);
    const value = 'v'.repeat(mib);
    assert.deepEqual(await client.call(`PUT big ${value}`), { status: 'Ok' });
    const baseline = rssBytes(pid);

    // 400 replies of 1 MiB requested in one write, none read for a second.
    client.socket.pause();
    const count = 400;
    let pipeline = '';
    for (let i = 0; i < count; i++) pipeline += i % 100 === 99 ? `PUT n${i} ${i}\n` : 'GET big\n';
    client.write(pipeline);
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      peak = Math.max(peak, rssBytes(pid));
    }
    t.diagnostic(
      `RSS baseline ${(baseline / mib) | 0} MiB, peak while not reading ${(peak / mib) | 0} MiB`,
    );
    assert.ok(peak - baseline < 100 * mib, `RSS grew by ${(peak - baseline) / mib} MiB`);

    // The other clients are served meanwhile.
    const other = await Client.connect(server.port);
    assert.deepEqual(await other.call('PING'), { status: 'Ok', result: 'PONG' });
    other.close();

    client.socket.resume();
    for (let i = 0; i < count; i += 100) {
      const lines = await client.readLines(100, 30_000);
      for (let j = 0; j < 99; j++) {
        assert.ok(lines[j]?.length === value.length + 30, `reply ${i + j} is the value`);
      }
      assert.equal(lines[99], '{"status": "Ok"}');
    }
    assert.deepEqual(await client.call('GET n399'), { status: 'Ok', result: '399' });
    client.close();
    assert.equal(await server.stop(), 0);
  },
);

test(
  'small pipelined requests without reading: the server stops reading, then resumes',
  limits,
  async (t: TestContext) => {
    const server = await startWithOutputLimits({
      lineBytes: '1kb',
      softBytes: '64kb',
      hardBytes: '1mb',
    });
    t.after(() => server.stop());
    const pid = server.child.pid as number;
    const client = await Client.connect(server.port);
    client.socket.pause();
    const baseline = rssBytes(pid);
    const line = 'PING\n'.repeat(10_000);
    let written = 0;
    // Write until the server stops reading and TCP pushes back on us (or 400 MiB).
    while (written < 400 * mib && client.socket.write(line)) written += line.length;
    const stalled = written + line.length;
    await sleep(300);
    const peak = rssBytes(pid);
    assert.ok(stalled < 400 * mib, 'the server kept reading a client that reads nothing');
    assert.ok(peak - baseline < 64 * mib, `RSS grew by ${(peak - baseline) / mib} MiB`);
    assert.ok(!server.logs.some((log) => String(log.msg).startsWith('client closed')));

    client.socket.resume();
    const replies = stalled / 5;
    for (let read = 0; read < replies; read += 10_000) {
      const lines = await client.readLines(10_000, 30_000);
      assert.equal(lines[9_999], '{"status": "Ok", "result": "PONG"}');
    }
    client.close();
    assert.equal(await server.stop(), 0);
  },
);

test(
  'past --client-output-hard-bytes the client is closed and the reason logged',
  limits,
  async (t: TestContext) => {
    const server = await startWithOutputLimits({
      lineBytes: '128kb',
      softBytes: '1mb',
      hardBytes: '1mb',
    });
    t.after(() => server.stop());
    const reader = await Client.connect(server.port);
    assert.deepEqual(await reader.call(`PUT big ${'v'.repeat(100 * kib)}`), { status: 'Ok' });
    const client = await Client.connect(server.port);
    client.socket.pause();
    client.write('GET big\n'.repeat(2_000));
    const reason = 'client closed: unread replies passed --client-output-hard-bytes';
    const log = await server.waitForLog((entry) => entry.msg === reason, 10_000);
    // A paused socket sees the close only once it reads again.
    client.socket.resume();
    await client.whenClosed;
    assert.ok((log.unsentBytes as number) > mib);
    assert.deepEqual(await reader.call('GET missing'), { status: 'Error', mesg: 'Key not found!' });
    reader.close();
    assert.equal(await server.stop(), 0);
  },
);

test(
  'a soft limit below the socket high-water mark still resumes once the client reads',
  limits,
  async (t: TestContext) => {
    const server = await startWithOutputLimits({
      lineBytes: '2kb',
      softBytes: '2kb',
      hardBytes: '64mb',
    });
    t.after(() => server.stop());
    const client = await Client.connect(server.port);
    const value = 'w'.repeat(1000);
    assert.deepEqual(await client.call(`PUT w ${value}`), { status: 'Ok' });
    client.socket.pause();
    const count = 20_000;
    client.write('GET w\n'.repeat(count));
    await sleep(500);
    client.socket.resume();
    const replies = await client.readLines(count, 30_000);
    assert.equal(replies.length, count);
    assert.equal(replies[count - 1], `{"status": "Ok", "result": "${value}"}`);
    client.close();
  },
);

test(
  'replies of multi-byte values are paced by their bytes: a reading client is not cut off',
  limits,
  async (t: TestContext) => {
    const server = await startWithOutputLimits({
      lineBytes: '3300000',
      softBytes: '8mb',
      hardBytes: '20mb',
    });
    t.after(() => server.stop());
    const client = await Client.connect(server.port);
    const value = '€'.repeat(1024 * 1024 - 1);
    assert.deepEqual(await client.call(`PUT euro ${value}`), { status: 'Ok' });
    client.write(`${'GET euro\n'.repeat(20)}QUIT\n`);
    const replies = await client.readLines(21, 30_000);
    assert.equal(replies[19], `{"status": "Ok", "result": "${value}"}`);
    assert.equal(replies[20], '{"status": "Ok"}');
    assert.ok(!server.logs.some((log) => String(log.msg).startsWith('client closed')));
  },
);

test('a client that stops reading after its last command is released', limits, async (t) => {
  const server = await startServer(['--shards', '1', '--max-clients', '1']);
  t.after(() => server.stop());
  const writer = await Client.connect(server.port);
  assert.deepEqual(await writer.call(`PUT big ${'b'.repeat(mib)}`), { status: 'Ok' });
  writer.close();
  await writer.whenClosed;
  const stuck = await Client.connect(server.port);
  stuck.socket.pause();
  stuck.endInput('GET big\nGET big\nGET big\nGET big\nGET big\n');
  // It never reads the 5 MiB of replies: the server gives up on it and frees its place.
  const deadline = Date.now() + 15_000;
  let served = false;
  while (!served && Date.now() < deadline) {
    await sleep(500);
    const next = await Client.connect(server.port);
    served = (await next.call('PING')).status === 'Ok';
    next.close();
  }
  assert.ok(served, 'the place of a client that reads nothing was never freed');
  stuck.close();
});
