/**
 * Expiry that nobody has to ask for (SPEC.md section 8): keys nobody reads again leave DBSIZE
 * and give their memory back by themselves (active expiry, RSS read from /proc), and a key that
 * expires while a client watches it counts as a write (WATCH over RESP, against Redis too; the
 * line protocol's START SERIALIZABLE is in test/integration/expiry-line.test.ts).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { sleep } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { OK, QUEUED, RespClient, Simple } from '../support/resp-client.js';
import { startServer } from '../support/server-process.js';
import { describeOnTargets } from '../support/targets.js';

const mib = 1024 * 1024;

/** SETs `count` keys of `value` expiring in `ttlMs`, pipelined 2,000 at a time. */
async function setExpiring(
  client: RespClient,
  options: { prefix: string; count: number; value: string; ttlMs: number },
): Promise<void> {
  const { prefix, count, value, ttlMs } = options;
  const chunk = 2_000;
  for (let from = 0; from < count; from += chunk) {
    const commands: string[][] = [];
    for (let i = from; i < Math.min(count, from + chunk); i++) {
      commands.push(['SET', `${prefix}${i}`, value, 'PX', String(ttlMs)]);
    }
    const replies = await client.pipeline(commands, 30_000);
    assert.ok(
      replies.every((reply) => reply instanceof Simple && reply.value === 'OK'),
      'every SET answered +OK',
    );
  }
}

test('300,000 keys with a 1 s expiry, never read, leave DBSIZE and RSS within 8 s of the last SET', {
  timeout: 90_000,
}, async (t: TestContext) => {
  const server = await startServer(['--shards', '2']);
  t.after(() => server.stop());
  const pid = server.child.pid as number;
  const client = await RespClient.connect(server.port);
  t.after(() => client.close());
  // A first fill and its expiry warm the heaps up, so the measured one starts from a process
  // that has its buffers and code already.
  const value = 'x'.repeat(100);
  await setExpiring(client, { prefix: 'warm:', count: 50_000, value, ttlMs: 200 });
  for (let i = 0; i < 100 && (await client.call('DBSIZE')) !== 0; i++) await sleep(100);
  await sleep(1_500);
  const before = rssBytes(pid);

  const count = 300_000;
  const filledAt = Date.now();
  await setExpiring(client, { prefix: 'k:', count, value, ttlMs: 1_000 });
  const filled = rssBytes(pid);
  const filledMs = Date.now();
  const growth = filled - before;
  t.diagnostic(`filled in ${Date.now() - filledAt} ms; RSS +${(growth / mib).toFixed(0)} MiB`);
  assert.ok(growth > 30 * mib, `the keys took ${(growth / mib).toFixed(1)} MiB`);
  assert.ok(((await client.call('DBSIZE')) as number) > 0);

  let keys = -1;
  let rss = filled;
  // A second for the last keys to expire, a few more for active expiry and the collection.
  const deadline = filledMs + 8_000;
  while (Date.now() < deadline) {
    await sleep(250);
    keys = (await client.call('DBSIZE')) as number;
    rss = rssBytes(pid);
    if (keys === 0 && rss - before < growth / 4) break;
  }
  t.diagnostic(
    `${((Date.now() - filledMs) / 1000).toFixed(1)} s after the last SET: DBSIZE ${keys}, ` +
      `RSS +${((rss - before) / mib).toFixed(1)} MiB`,
  );
  assert.equal(keys, 0, 'active expiry removed every key');
  assert.ok(rss - before < growth / 4, 'three quarters of the memory came back');
  const info = (await client.call('INFO', 'stats')) as string;
  assert.ok(Number(/expired_keys:(\d+)/.exec(info)?.[1]) >= count + 50_000);
});

describeOnTargets('a key that expires is a write for WATCH', {}, (ctx) => {
  test('a watched key that expires between its GET and EXEC makes EXEC apply nothing', async () => {
    assert.deepEqual(await ctx.client.call('SET', 'w:k', 'v', 'PX', '200'), OK);
    assert.deepEqual(await ctx.client.call('WATCH', 'w:k'), OK);
    assert.equal(await ctx.client.call('GET', 'w:k'), 'v');
    await sleep(350);
    assert.deepEqual(await ctx.client.call('MULTI'), OK);
    assert.deepEqual(await ctx.client.call('SET', 'w:copy', 'v'), QUEUED);
    assert.equal(await ctx.client.call('EXEC'), null);
    assert.equal(await ctx.client.call('GET', 'w:copy'), null);
    assert.equal(await ctx.client.call('EXISTS', 'w:k'), 0);
  });

  test('without WATCH, a key that expires between GET and EXEC is gone and EXEC applies', async () => {
    assert.deepEqual(await ctx.client.call('SET', 'm:k', 'v', 'PX', '200'), OK);
    assert.equal(await ctx.client.call('GET', 'm:k'), 'v');
    assert.deepEqual(await ctx.client.call('MULTI'), OK);
    assert.deepEqual(await ctx.client.call('GET', 'm:k'), QUEUED);
    assert.deepEqual(await ctx.client.call('SET', 'm:other', 'x'), QUEUED);
    await sleep(350);
    assert.deepEqual(await ctx.client.call('EXEC'), [null, OK]);
    assert.equal(await ctx.client.call('GET', 'm:other'), 'x');
  });
});
