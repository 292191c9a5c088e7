/**
 * How resident memory behaves under a sustained write load (issue 15;
 * src/coordinator/memory-guard.ts): after loading, a sustained overwrite load does not grow RSS
 * to several times what it was: V8's old generations grow by at most 30 % past what survived
 * their last full collection.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { fill } from '../../bench/memory/fill.js';
import { sleep } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { startServer } from '../support/server-process.js';

const mib = 1024 * 1024;

test('200k keys of 100 B, then sustained overwrites: RSS stays within 1.75x of RSS after loading', {
  timeout: 120_000,
}, async (t: TestContext) => {
  const server = await startServer(['--shards', '2']);
  t.after(() => server.stop());
  const pid = server.child.pid as number;
  const keys = 200_000;
  await fill({ port: server.port, valueBytes: 100, keys });
  await sleep(2_000);
  const loaded = rssBytes(pid);
  let peak = loaded;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 100);
  const deadline = Date.now() + 20_000;
  let rounds = 0;
  while (Date.now() < deadline) {
    // Every key overwritten, from 8 pipelining connections: the old values become garbage in
    // the shards' old generations.
    await fill({ port: server.port, valueBytes: 100, keys, connections: 8, window: 200 });
    rounds++;
  }
  clearInterval(sampler);
  peak = Math.max(peak, rssBytes(pid));
  t.diagnostic(
    `RSS ${(loaded / mib).toFixed(0)} MiB after loading, at most ${(peak / mib).toFixed(0)} MiB ` +
      `over ${rounds} rounds of overwrites (${(peak / loaded).toFixed(2)}x)`,
  );
  assert.ok(rounds >= 3, 'overwrote every key a few times');
  // Measured: 2.37x with V8's own old-generation growth, 1.45-1.59x with 30 % (this Node client;
  // bench/memory/run.js with the C load generator: 2.33x and 1.45x).
  assert.ok(peak <= 1.75 * loaded, `RSS peaked at ${(peak / loaded).toFixed(2)}x`);
});
