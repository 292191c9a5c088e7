/**
 * When a full server refuses writes (SPEC.md section 8), against Haus and a real Redis: under
 * noeviction every write past the limit gets Redis's -OOM while reads and deletes go on; under
 * volatile-lru keys with an expiry are evicted first, keys without one never, and once none
 * with an expiry is left writes get -OOM as under noeviction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sleep } from '../support/client.js';
import { error, RespClient } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

const oom = error("OOM command not allowed when used memory > 'maxmemory'.");
const value = 'o'.repeat(64 * 1024);
/** Keys written before the limit must trip: Haus's idle process is most of its 128 MiB. */
const writesMax = 20_000;

/** A server of `kind` that holds little: Haus at --max-memory 128mb, Redis at what it uses
 * now plus 8 MiB (its maxmemory counts used_memory, Haus's RSS). */
async function fullSoon(kind: 'haus' | 'redis', policy: string): Promise<Target> {
  if (kind === 'haus') {
    return startTarget('haus', { args: ['--max-memory', '128mb', '--eviction-policy', policy] });
  }
  const target = await startTarget('redis');
  const client = await RespClient.connect(target.port);
  const info = (await client.call('INFO', 'memory')) as string;
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
  await client.call('CONFIG', 'SET', 'maxmemory', String(used + 8 * 1024 * 1024));
  await client.call('CONFIG', 'SET', 'maxmemory-policy', policy);
  client.close();
  return target;
}

/** SETs `prefix` keys of 64 KiB, 8 at a time, until the server is full: a write is refused,
 * and so is one more sent after its next memory sample (a refused write makes Haus collect
 * garbage, which may make room). Returns the keys stored and the refusal. */
async function fillUntilRefused(
  client: RespClient,
  prefix: string,
): Promise<{ stored: string[]; refusal: unknown }> {
  const stored: string[] = [];
  const isError = (reply: unknown) => (reply as { message?: string }).message !== undefined;
  for (let i = 0; i < writesMax; i += 8) {
    const keys = Array.from({ length: 8 }, (_, j) => `${prefix}${i + j}`);
    const replies = await client.pipeline(keys.map((key) => ['SET', key, value]));
    let refused = false;
    keys.forEach((key, j) => {
      if (isError(replies[j])) refused = true;
      else stored.push(key);
    });
    if (!refused) continue;
    await sleep(150);
    const again = `${prefix}again-${i}`;
    const reply = await client.call('SET', again, value);
    if (isError(reply)) return { stored, refusal: reply };
    stored.push(again);
  }
  throw new Error(`the server was not full after ${writesMax} writes`);
}

async function countExisting(client: RespClient, keys: readonly string[]): Promise<number> {
  let count = 0;
  for (let i = 0; i < keys.length; i += 500) {
    count += (await client.call('EXISTS', ...keys.slice(i, i + 500))) as number;
  }
  return count;
}

for (const kind of targetKinds()) {
  describe(`a full server refuses writes (${kind})`, () => {
    let target: Target;
    let c: RespClient;
    after(async () => {
      c?.close();
      await target?.stop();
    });

    describe('noeviction', () => {
      before(async () => {
        target = await fullSoon(kind, 'noeviction');
        c = await RespClient.connect(target.port);
      });
      after(async () => {
        c.close();
        await target.stop();
      });

      test('past the limit a write gets -OOM, reads and deletes go on, nothing is evicted', async () => {
        const { stored, refusal } = await fillUntilRefused(c, 'n:');
        assert.deepEqual(refusal, oom);
        assert.equal(await countExisting(c, stored), stored.length, 'nothing was evicted');
        assert.equal(await c.call('GET', stored[0] as string), value);
        assert.equal(await c.call('DEL', stored[0] as string), 1);
        const info = (await c.call('INFO', 'stats')) as string;
        assert.match(info, /evicted_keys:0\r\n/);
        assert.deepEqual(await c.call('CONFIG', 'GET', 'maxmemory-policy'), [
          'maxmemory-policy',
          'noeviction',
        ]);
      });
    });

    describe('volatile-lru', () => {
      before(async () => {
        target = await fullSoon(kind, 'volatile-lru');
        c = await RespClient.connect(target.port);
      });

      test('keys with an expiry go first, keys without one never; none left, writes get -OOM', async () => {
        const volatile = Array.from({ length: 40 }, (_, i) => `v:${i}`);
        for (const key of volatile) assert.ok(await c.call('SET', key, value, 'EX', '3600'));
        const { stored, refusal } = await fillUntilRefused(c, 'p:');
        assert.deepEqual(refusal, oom);
        assert.equal(await countExisting(c, stored), stored.length, 'no key without expiry went');
        assert.ok((await countExisting(c, volatile)) < volatile.length, 'keys with one did');
        const info = (await c.call('INFO', 'stats')) as string;
        assert.ok(Number(/evicted_keys:(\d+)/.exec(info)?.[1]) > 0, 'counted as evicted');
      });
    });
  });
}
