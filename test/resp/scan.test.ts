/**
 * SCAN's cursor names one page (Redis's behaviour): sent again, by the same client after a
 * lost reply or by another client, it gives the same page, and it never makes another
 * client's scan skip keys.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OK, RespClient } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

for (const kind of targetKinds()) {
  describe(`SCAN cursors (${kind})`, () => {
    let target: Target;
    before(async () => {
      target = await startTarget(kind, { shards: 2 });
    });
    after(() => target.stop());

    test('a repeated cursor gives the same page; every key is seen by each client', async () => {
      const a = await RespClient.connect(target.port);
      const b = await RespClient.connect(target.port);
      assert.deepEqual(await a.call('FLUSHALL'), OK);
      const keys = Array.from({ length: 40 }, (_, i) => `scan-${i}`);
      assert.deepEqual(await a.call('MSET', ...keys.flatMap((key) => [key, 'v'])), OK);
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const page = (await a.call('SCAN', cursor, 'COUNT', '3')) as [string, string[]];
        if (page[0] !== '0') {
          // Another client asking for the next page first must not take it away from us.
          const other = (await b.call('SCAN', page[0], 'COUNT', '3')) as [string, string[]];
          const again = (await a.call('SCAN', page[0], 'COUNT', '3')) as [string, string[]];
          // The same keys; on Haus the next cursor may differ where a shard's keys begin (a
          // fresh walk of that shard, like SCAN 0), never elsewhere.
          assert.deepEqual(again[1], other[1], 'the same cursor gives the same page');
        }
        for (const key of page[1]) seen.add(key);
        cursor = page[0];
      } while (cursor !== '0');
      assert.deepEqual([...seen].sort(), [...keys].sort());
      a.close();
      b.close();
    });
  });
}
