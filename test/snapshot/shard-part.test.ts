/**
 * A shard's part of a snapshot against a model (workers/shard-snapshot.ts): a real ShardStore
 * takes random writes, removals, expiry changes, lazy and active expiry, evictions and the odd
 * FLUSHALL between the part's slices; the part must then hold every key of the snapshot's
 * moment exactly once, as it was at that moment, and the store must still hold exactly what
 * the writes left (the part reorders slots under the store's feet).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SnapshotChunks, SnapshotFromShard } from '../../src/persistence/snapshot-messages.js';
import { crc64Concat, crc64Part } from '../../workers/rdb/crc64-combine.js';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { rdbFooter, rdbHeader } from '../../workers/rdb/rdb-writer.js';
import { ShardSnapshot } from '../../workers/shard-snapshot.js';
import { ShardStore } from '../../workers/shard-store.js';
import { readRdbFile } from '../rdb/rdb-files.js';
import { pick, seededRandom } from '../support/random.js';

type Model = Map<string, { value: string; expireAt: number }>;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The live keys of `store` (by the fake clock) as a model. */
function liveContents(store: ShardStore, nowMs: number): Model {
  const model: Model = new Map();
  for (let slot = 0; slot < store.size; slot++) {
    const expireAt = store.expireAtOfSlot(slot);
    if (expireAt !== 0 && expireAt <= nowMs) continue;
    model.set(store.keyAt(slot), { value: store.valueAt(slot), expireAt });
  }
  return model;
}

/** Runs one part while `mutate` changes the store between slices; returns the part's file. */
async function takePart(
  store: ShardStore,
  momentMs: number,
  mutate: () => void,
): Promise<{ entries: RdbEntry[]; report: SnapshotFromShard }> {
  const chunks: SnapshotChunks[] = [];
  let done: SnapshotFromShard | null = null;
  let unanswered = 0;
  const part: ShardSnapshot = new ShardSnapshot({
    snapshotId: 1,
    source: store,
    momentMs,
    post: (message) => {
      if (message.kind === 'chunks') {
        chunks.push(message);
        unanswered++;
      } else {
        done = message;
      }
    },
    detach: () => {
      if (store.snapshot === part) store.snapshot = null;
    },
  });
  store.snapshot = part;
  while (done === null) {
    mutate();
    await nextTurn();
    // The main thread answers each hand-over once written; here, a turn later.
    for (; unanswered > 0; unanswered--) part.onChunksWritten();
  }
  const header = rdbHeader({
    createdAtMs: momentMs,
    usedMemoryBytes: 0,
    keyCount: 0,
    expiringKeyCount: 0,
  });
  const parts = [crc64Part(header)];
  const bytes: Buffer[] = [header];
  for (const message of chunks) {
    parts.push({ crc: message.crc, lengthBytes: message.lengthBytes });
    message.chunks.forEach((chunk, i) => {
      bytes.push(Buffer.from(chunk, 0, message.lengths[i]));
    });
  }
  bytes.push(rdbFooter(crc64Concat(parts).crc));
  // readRdbFile checks the combined CRC against the bytes, so each hand-over's CRC is right.
  return { entries: readRdbFile(Buffer.concat(bytes)), report: done };
}

test('a part holds every key of its moment once, as it was, whatever changes meanwhile', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const random = seededRandom(seed);
    let now = 1_800_000_000_000;
    const store = new ShardStore({ clock: () => now, policy: 'allkeys-lru' });
    const keyOf = (i: number) => `k${i}`;
    const keyCount = 3000 + Math.floor(random() * 3000);
    for (let i = 0; i < keyCount; i++) {
      const expireAt = random() < 0.2 ? now + Math.floor(random() * 2000) - 500 : 0;
      store.set(keyOf(i), `v${i}:${'x'.repeat(Math.floor(random() * 300))}`, expireAt);
    }
    const moment = liveContents(store, now);
    // The store's contents as the writes leave them, checked after the part.
    let changes = 0;
    const writeValue = () => `w${changes++}`;
    const operations = [
      () => store.set(keyOf(Math.floor(random() * keyCount * 1.2)), writeValue(), 0),
      () => store.set(keyOf(Math.floor(random() * keyCount)), writeValue(), now + 1000),
      () => store.remove(keyOf(Math.floor(random() * keyCount * 1.2))),
      () => store.setExpireAt(keyOf(Math.floor(random() * keyCount)), now + 5000),
      () => store.setExpireAt(keyOf(Math.floor(random() * keyCount)), 0),
      () => store.get(keyOf(Math.floor(random() * keyCount))),
      () => {
        now += 50;
        store.expireSome(performance.now() + 1);
      },
      () => {
        if (store.size > 0) store.evictSlot(Math.floor(random() * store.size));
      },
    ];
    let flushed = false;
    const { entries, report } = await takePart(store, now, () => {
      const count = Math.floor(random() * 200);
      for (let i = 0; i < count; i++) pick(random, operations)();
      if (!flushed && seed % 4 === 0 && random() < 0.1) {
        flushed = true;
        store.flush();
      }
    });
    assert.equal(report.kind, 'part-done', `seed ${seed}`);
    const seen = new Set<string>();
    for (const entry of entries) {
      assert.ok(!seen.has(entry.key), `seed ${seed}: ${entry.key} written twice`);
      seen.add(entry.key);
      const expected = moment.get(entry.key);
      assert.deepEqual(
        { value: entry.value, expireAt: entry.expireAtMs },
        expected,
        `seed ${seed}: ${entry.key}`,
      );
    }
    assert.equal(seen.size, moment.size, `seed ${seed}: keys written`);
    assert.equal(store.snapshot, null, `seed ${seed}: the hooks are gone`);
    // Every slot is still consistent with the index after the swaps.
    for (let slot = 0; slot < store.size; slot++) {
      assert.equal(store.slotOf(store.keyAt(slot)), slot, `seed ${seed}: slot ${slot}`);
    }
  }
});

test('writes to keys the walk has not reached are written first, and counted', async () => {
  let now = 1_800_000_000_000;
  const store = new ShardStore({ clock: () => now });
  for (let i = 0; i < 50_000; i++) store.set(`key:${i}`, `value:${i}`, 0);
  let round = 0;
  const { entries, report } = await takePart(store, now, () => {
    // Overwrite keys from the far end, which the walk reaches last.
    for (let i = 0; i < 50; i++) store.set(`key:${49_999 - round * 50 - i}`, 'new', 0);
    round++;
    now += 1;
  });
  assert.equal(entries.length, 50_000);
  assert.ok(entries.every((entry) => entry.value.startsWith('value:')));
  assert.equal(report.kind, 'part-done');
  if (report.kind === 'part-done') {
    assert.ok(report.report.keysWrittenEarly > 0, JSON.stringify(report.report));
    assert.equal(report.report.keys, 50_000);
  }
});
