/**
 * Batches and their replies travel in shared slots of 256 KiB (src/shards/batch-slots.ts): a
 * request slot grows for big values and is replaced by a small one after growing past 4 MiB;
 * replies that do not fit their slot move to a buffer of their own, transferred whole. Values
 * around and past those sizes, pipelined among small commands, must come back whole and in
 * order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '../support/client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const kib = 1024;
const mib = 1024 * kib;

/** A value of `bytes` characters that tells where each part of it came from. */
function patternedValue(bytes: number, seed: string): string {
  const unit = `${seed}:0123456789abcdef;`;
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}

describe('values larger than a batch slot', () => {
  let server: RunningServer;
  before(async () => {
    // One shard: every command below goes through the same pair of slots.
    server = await startServer(['--shards', '1', '--max-line-bytes', '8mb']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('big and small values pipelined together come back whole and in order', async () => {
    const client = await Client.connect(server.port);
    const sizes = [300 * kib, 6 * mib, 10, 5 * mib, 257 * kib, 1];
    const lines: string[] = [];
    const expected: string[] = [];
    sizes.forEach((bytes, i) => {
      const value = patternedValue(bytes, `v${i}`);
      lines.push(`PUT key${i} ${value}`, `GET key${i}`);
      expected.push('{"status": "Ok"}', `{"status": "Ok", "result": "${value}"}`);
      // Small commands between the big ones reuse the slots the big ones grew or replaced.
      for (let j = 0; j < 50; j++) {
        lines.push(`PUT small${i}-${j} ${j}`, `GET small${i}-${j}`);
        expected.push('{"status": "Ok"}', `{"status": "Ok", "result": "${j}"}`);
      }
    });
    client.write(`${lines.join('\n')}\n`);
    const replies = await client.readLines(expected.length, 30_000);
    for (let i = 0; i < expected.length; i++) {
      if (replies[i] !== expected[i]) {
        assert.fail(
          `reply ${i} differs: got ${replies[i]?.slice(0, 80)}…, ` +
            `want ${expected[i]?.slice(0, 80)}…`,
        );
      }
    }

    // Stored already, so these short lines arrive together and run as one batch whose replies
    // outgrow the slot after several small ones were written (and move with them). (With the multi-MiB values
    // deleted, they all fit the client's output limit, so none waits for an earlier one.)
    assert.equal(await client.request('DEL key1'), '{"status": "Ok"}');
    assert.equal(await client.request('DEL key3'), '{"status": "Ok"}');
    const burst: string[] = [];
    const burstExpected: string[] = [];
    for (const i of [2, 5, 2, 0, 2, 4, 5, 0]) {
      const value = patternedValue(sizes[i] as number, `v${i}`);
      burst.push(`GET key${i}`);
      burstExpected.push(`{"status": "Ok", "result": "${value}"}`);
    }
    client.write(`${burst.join('\n')}\n`);
    const burstReplies = await client.readLines(burstExpected.length, 30_000);
    burstExpected.forEach((want, i) => {
      assert.ok(
        burstReplies[i] === want,
        `burst reply ${i}: got ${burstReplies[i]?.slice(0, 80)}…`,
      );
    });
    client.close();
  });

  test('a commit of values larger than a slot applies them all', async () => {
    const client = await Client.connect(server.port);
    const values = [patternedValue(5 * mib, 'a'), patternedValue(300 * kib, 'b'), 'c'];
    const lines = ['START', ...values.map((value, i) => `PUT tx${i} ${value}`), 'COMMIT'];
    lines.push(...values.map((_, i) => `GET tx${i}`));
    client.write(`${lines.join('\n')}\n`);
    const replies = await client.readLines(lines.length, 30_000);
    assert.deepEqual(replies.slice(0, 5), Array(5).fill('{"status": "Ok"}'));
    values.forEach((value, i) => {
      assert.ok(replies[5 + i] === `{"status": "Ok", "result": "${value}"}`, `GET tx${i}`);
    });
    client.close();
  });
});

describe('a shard restarted after its slots were replaced', () => {
  test('serves from new slots: big values again, then small ones', async () => {
    const server = await startServer([
      '--shards',
      '1',
      '--max-line-bytes',
      '8mb',
      '--enable-debug-commands',
    ]);
    const client = await Client.connect(server.port);
    const big = patternedValue(5 * mib, 'before');
    // Request slot replaced for the PUT, replies moved to a buffer of their own for the GET.
    assert.equal(await client.request(`PUT big ${big}`), '{"status": "Ok"}');
    assert.equal(await client.request('GET big'), `{"status": "Ok", "result": "${big}"}`);
    assert.equal((await client.call('DEBUG CRASH-SHARD 0')).status, 'Error');
    await server.waitForLog((log) => String(log.msg).startsWith('shard failed'));
    // The new thread starts empty, with slots of its own.
    assert.equal(await client.request('GET big'), '{"status": "Error", "mesg": "Key not found!"}');
    const again = patternedValue(6 * mib, 'after');
    const lines = [`PUT big ${again}`, 'GET big', 'PUT small 1', 'GET small'];
    client.write(`${lines.join('\n')}\n`);
    assert.deepEqual(await client.readLines(4, 30_000), [
      '{"status": "Ok"}',
      `{"status": "Ok", "result": "${again}"}`,
      '{"status": "Ok"}',
      '{"status": "Ok", "result": "1"}',
    ]);
    client.close();
    assert.equal(await server.stop(), 0);
  });
});

describe('GETs of a big value from one turn', () => {
  test('are split over batches whose replies stay under the batch bound, in order', async () => {
    // A client may pipeline big GETs when its output limits allow (here: 256 MiB); 12 MiB
    // values reply up to 16 MiB each at the shard's bound, so a 64 MiB batch takes three.
    const server = await startServer([
      '--shards',
      '1',
      '--log-level',
      'debug',
      '--client-output-soft-bytes',
      '256mb',
      '--client-output-hard-bytes',
      '512mb',
    ]);
    const client = await Client.connect(server.port);
    const big = patternedValue(12 * mib, 'big');
    assert.equal(await client.request(`PUT big ${big}`), '{"status": "Ok"}');
    const gets = Array(7).fill('GET big');
    client.write(`${[...gets, 'PUT after 1', 'GET after'].join('\n')}\n`);
    const replies = await client.readLines(gets.length + 2, 30_000);
    replies.slice(0, gets.length).forEach((reply, i) => {
      assert.ok(reply === `{"status": "Ok", "result": "${big}"}`, `GET ${i}`);
    });
    assert.deepEqual(replies.slice(gets.length), [
      '{"status": "Ok"}',
      '{"status": "Ok", "result": "1"}',
    ]);
    const closed = await server.waitForLog(
      (log) => log.msg === 'shard batch closed at its byte bound',
    );
    assert.ok(Number(closed.replyBytesBound) <= 64 * mib, String(closed.replyBytesBound));
    client.close();
    assert.equal(await server.stop(), 0);
  });
});

describe('big keys piling up behind a busy shard', () => {
  test('are split over batches that carry at most 64 MiB of keys, in order', async () => {
    const server = await startServer([
      '--shards',
      '1',
      '--log-level',
      'debug',
      '--enable-debug-commands',
    ]);
    const client = await Client.connect(server.port);
    // The stall and the first GET are the two batches in flight; the GETs after them pile up
    // in the next batch while the shard is stalled: 5 keys of 15 MiB are more than it takes.
    const keys = Array.from({ length: 6 }, (_, i) => patternedValue(15 * mib, `key${i}`));
    const lines = ['DEBUG STALL-SHARD 0 4000', ...keys.map((key) => `GET ${key}`)];
    client.write(`${[...lines, 'PUT after 1', 'GET after'].join('\n')}\n`);
    const replies = await client.readLines(lines.length + 2, 30_000);
    assert.deepEqual(replies, [
      '{"status": "Ok"}',
      ...keys.map(() => '{"status": "Error", "mesg": "Key not found!"}'),
      '{"status": "Ok"}',
      '{"status": "Ok", "result": "1"}',
    ]);
    const closed = await server.waitForLog(
      (log) => log.msg === 'shard batch closed at its byte bound',
    );
    const requestBytes = Number(closed.requestBytes);
    assert.ok(requestBytes > 32 * mib && requestBytes <= 64 * mib, String(requestBytes));
    client.close();
    assert.equal(await server.stop(), 0);
  });
});
