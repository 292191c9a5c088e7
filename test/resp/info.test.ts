/**
 * INFO (SPEC.md section 11): every field clients, redis-cli and exporters read is there, in
 * Redis's format, over RESP and the line protocol, and the counters move with what clients do.
 * The fields both servers have are checked against Redis too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../support/client.js';
import { OK, RespClient } from '../support/resp-client.js';
import { startServer } from '../support/server-process.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

/** `field:value` lines of an INFO text. */
function fieldsOf(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

async function info(client: RespClient, section?: string): Promise<Map<string, string>> {
  const reply =
    section === undefined ? await client.call('INFO') : await client.call('INFO', section);
  return fieldsOf(String(reply));
}

const commonFields = [
  'redis_version',
  'uptime_in_seconds',
  'tcp_port',
  'connected_clients',
  'used_memory',
  'used_memory_rss',
  'maxmemory',
  'maxmemory_policy',
  'total_connections_received',
  'total_commands_processed',
  'instantaneous_ops_per_sec',
  'keyspace_hits',
  'keyspace_misses',
  'expired_keys',
  'evicted_keys',
  'rejected_connections',
  'loading',
  'rdb_last_save_time',
  'rdb_changes_since_last_save',
];

for (const kind of targetKinds()) {
  describe(`INFO over RESP (${kind})`, () => {
    let target: Target;
    before(async () => {
      target = await startTarget(kind);
    });
    after(() => target.stop());

    test("has every field of SPEC section 11 in Redis's format", async () => {
      const client = await RespClient.connect(target.port);
      const fields = await info(client);
      for (const name of commonFields) assert.ok(fields.has(name), `INFO has ${name}`);
      assert.equal(fields.get('loading'), '0');
      assert.equal(fields.get('tcp_port'), String(target.port));
      assert.match(fields.get('redis_version') ?? '', /^\d+\.\d+\.\d+$/);
      client.close();
    });

    test('db0 is absent while the keyspace is empty, then counts keys and expiring keys', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('FLUSHALL'), OK);
      assert.equal((await info(client, 'keyspace')).has('db0'), false);
      assert.deepEqual(await client.call('SET', 'info-a', '1'), OK);
      assert.deepEqual(await client.call('SET', 'info-b', '1', 'EX', '100'), OK);
      const db0 = (await info(client, 'keyspace')).get('db0') ?? '';
      assert.match(db0, /^keys=2,expires=1,avg_ttl=\d+/);
      client.close();
    });

    test('avg_ttl is the mean time left, in ms, of the keys with an expiry', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('FLUSHALL'), OK);
      // Keys on every shard; those without an expiry do not count. Redis estimates avg_ttl
      // from samples its expiry cycle takes (10 times a second), so every TTL is the same.
      for (let i = 0; i < 30; i++) {
        assert.deepEqual(await client.call('SET', `ttl-${i}`, 'v', 'EX', '200'), OK);
        assert.deepEqual(await client.call('SET', `no-ttl-${i}`, 'v'), OK);
      }
      let averageTtlMs = 0;
      for (let waited = 0; averageTtlMs === 0 && waited < 3_000; waited += 50) {
        await sleep(50);
        const db0 = (await info(client, 'keyspace')).get('db0') ?? '';
        averageTtlMs = Number(/avg_ttl=(\d+)/.exec(db0)?.[1]);
      }
      assert.ok(averageTtlMs > 190_000 && averageTtlMs <= 200_000, `avg_ttl=${averageTtlMs}`);
      client.close();
    });

    test('hits, misses, expired keys and commands processed move with what clients do', async () => {
      const client = await RespClient.connect(target.port);
      const before = await info(client);
      assert.deepEqual(await client.call('SET', 'info-hit', 'v'), OK);
      assert.equal(await client.call('GET', 'info-hit'), 'v');
      assert.equal(await client.call('GET', 'info-miss'), null);
      assert.deepEqual(await client.call('SET', 'info-exp', 'v', 'PX', '50'), OK);
      await sleep(120);
      assert.equal(await client.call('GET', 'info-exp'), null);
      const after = await info(client);
      const delta = (name: string) => Number(after.get(name)) - Number(before.get(name));
      assert.equal(delta('keyspace_hits'), 1);
      assert.equal(delta('keyspace_misses'), 2);
      assert.equal(delta('expired_keys'), 1);
      // SET, GET, GET, SET, GET, and the INFO that reads the second count.
      assert.ok(delta('total_commands_processed') >= 6, `${delta('total_commands_processed')}`);
      client.close();
    });
  });
}

describe('INFO, Haus only', () => {
  // Redis only estimates avg_ttl from samples; Haus keeps the exact mean as keys change.
  test('avg_ttl follows expiries set, changed, persisted and removed', async (t) => {
    const server = await startServer(['--shards', '3']);
    t.after(() => server.stop());
    const client = await RespClient.connect(server.port);
    const averageTtlMs = async () => {
      const db0 = (await info(client, 'keyspace')).get('db0') ?? '';
      return Number(/avg_ttl=(\d+)/.exec(db0)?.[1]);
    };
    const near = (actual: number, expected: number) =>
      assert.ok(
        actual <= expected && actual > expected - 2_000,
        `avg_ttl ${actual}, expected ${expected}`,
      );
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await client.call('SET', `a-${i}`, 'v', 'EX', '100'), OK);
      assert.deepEqual(await client.call('SET', `b-${i}`, 'v', 'EX', '300'), OK);
    }
    near(await averageTtlMs(), 200_000);
    // b-* set again without EX lose their expiry; a-* move from 100 s to 500 s.
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(await client.call('SET', `b-${i}`, 'w'), OK);
      assert.equal(await client.call('EXPIRE', `a-${i}`, '500'), 1);
    }
    near(await averageTtlMs(), 500_000);
    assert.deepEqual(await client.call('SET', 'c', 'v', 'EX', '100'), OK);
    assert.equal(await client.call('PERSIST', 'a-0'), 1);
    assert.equal(await client.call('DEL', 'a-1'), 1);
    // Eight keys at 500 s and one at 100 s.
    near(await averageTtlMs(), Math.round((8 * 500_000 + 100_000) / 9));
    for (let i = 2; i < 10; i++) assert.equal(await client.call('PERSIST', `a-${i}`), 1);
    assert.equal(await client.call('PERSIST', 'c'), 1);
    assert.equal(await averageTtlMs(), 0);
    client.close();
  });

  test('haus_version and a # Shards section with keys and batches per shard', async (t) => {
    const server = await startServer(['--shards', '3']);
    t.after(() => server.stop());
    const client = await RespClient.connect(server.port);
    const text = String(await client.call('INFO'));
    assert.match(text, /\r\nhaus_version:\d+\.\d+\.\d+\r\n/);
    assert.match(text, /# Shards\r\nshard0:keys=\d+,expires=\d+,batches=\d+/);
    assert.match(text, /\r\nshard2:keys=/);
    client.close();
    const line = await Client.connect(server.port);
    const reply = (await line.call('INFO server')) as { status: string; result: string };
    assert.equal(reply.status, 'Ok');
    assert.match(reply.result, /^# Server\r\nredis_version:/);
    line.close();
  });
});
