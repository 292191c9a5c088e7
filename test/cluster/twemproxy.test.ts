/**
 * Several Haus servers behind twemproxy (SPEC.md section 12): three real servers (with a
 * password, which the proxy gives them with AUTH as `redis_auth`) and Debian's `nutcracker` on
 * loopback, configured as the compose profile `cluster` runs it (bench/cluster/nutcracker.ts).
 * Clients speak only to the proxy; the tests look at each server directly to see where keys
 * went. twemproxy multiplexes every client over one connection per server, pipelined, so these
 * tests are also about Haus keeping each reply in its place on a connection many clients share.
 *
 * Needs `nutcracker` (CI installs it in .ci/run). Without it the suite fails and says so, unless
 * HAUS_SKIP_NUTCRACKER=1, which skips it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  findNutcracker,
  NUTCRACKER_MISSING,
  type RunningNutcracker,
  startNutcracker,
} from '../../bench/cluster/nutcracker.js';
import { sleep } from '../support/client.js';
import { seededRandom } from '../support/random.js';
import { type Arg, OK, type Reply, RespClient, RespError, Simple } from '../support/resp-client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const password = 'cluster-test-password';
const keyCount = 10_000;
/** Short, so the ejection test sees a retry too; the compose profile uses 2 s. */
const retryTimeoutMs = 1_000;
/** As the compose profile names them (docker/twemproxy/entrypoint.sh): the ring is the same. */
const serverNames = ['haus1:9888', 'haus2:9888', 'haus3:9888'];
/** Each server's share of 10,000 keys (ketama and murmur over these names: 31–37 %). */
const shareMin = 0.15;
const shareMax = 0.55;

const keyFor = (i: number) => `key:${i}`;
const valueFor = (i: number) => `value-${i}-${'v'.repeat(i % 50)}`;

const skip =
  findNutcracker() === null && process.env.HAUS_SKIP_NUTCRACKER === '1'
    ? 'nutcracker is not installed and HAUS_SKIP_NUTCRACKER=1'
    : false;

/** A reply as plain JSON, so a whole pipeline compares in one assertion. */
function plain(reply: Reply): unknown {
  if (reply instanceof Simple) return `+${reply.value}`;
  if (reply instanceof RespError) return `-${reply.message}`;
  if (Array.isArray(reply)) return reply.map(plain);
  return reply;
}

const isError = (reply: Reply) => reply instanceof RespError;

/**
 * Sends the commands through the proxy until each got a reply that is not an error, at most
 * until `deadlineMs`: while a killed server is being ejected (and each time the proxy tries it
 * again after the retry timeout) the requests routed to it fail, as they would for any client.
 */
async function untilAnswered(
  client: RespClient,
  commands: readonly Arg[][],
  deadlineMs: number,
): Promise<{ replies: Reply[]; failedRounds: number }> {
  const replies: Reply[] = new Array(commands.length);
  let pending = commands.map((_, i) => i);
  let failedRounds = 0;
  while (pending.length > 0) {
    const got = await client.pipeline(
      pending.map((i) => commands[i] as Arg[]),
      10_000,
    );
    const failed: number[] = [];
    got.forEach((reply, j) => {
      const index = pending[j] as number;
      if (isError(reply)) failed.push(index);
      else replies[index] = reply;
    });
    if (failed.length === 0) break;
    failedRounds++;
    assert.ok(
      Date.now() < deadlineMs,
      `${failed.length} requests still failing: ${String(plain(got.find(isError) as Reply))}`,
    );
    pending = failed;
    await sleep(100);
  }
  return { replies, failedRounds };
}

/** Each server's INFO total_commands_processed, asked directly. */
async function commandCounts(servers: readonly RespClient[]): Promise<number[]> {
  const texts = await Promise.all(servers.map((c) => c.call('INFO', 'stats')));
  return texts.map((text) => Number(/total_commands_processed:(\d+)/.exec(String(text))?.[1]));
}

describe('three Haus servers behind twemproxy (nutcracker)', { skip }, () => {
  let servers: RunningServer[] = [];
  let proxy: RunningNutcracker | null = null;
  let client: RespClient;
  /** Straight to each server, bypassing the proxy. */
  let direct: RespClient[] = [];
  /** Which server (index) holds each of the 10,000 keys, once the first test has run. */
  const ownerOf: number[] = [];

  before(async () => {
    if (findNutcracker() === null) {
      throw new Error(`${NUTCRACKER_MISSING}; HAUS_SKIP_NUTCRACKER=1 skips this suite`);
    }
    servers = await Promise.all(
      serverNames.map(() => startServer(['--shards', '2', '--requirepass', password])),
    );
    proxy = await startNutcracker({
      servers: servers.map((server, i) => ({ port: server.port, name: serverNames[i] as string })),
      password,
      failureLimit: 1,
      retryTimeoutMs,
      timeoutMs: 2_000,
    });
    client = await RespClient.connect(proxy.port);
    assert.deepEqual(await client.call('AUTH', password), OK);
    direct = await Promise.all(servers.map((server) => RespClient.connect(server.port)));
    for (const connection of direct) assert.deepEqual(await connection.call('AUTH', password), OK);
  });

  after(async () => {
    client?.close();
    for (const connection of direct) connection.close();
    await proxy?.stop();
    await Promise.all(servers.map((server) => server.stop()));
  });

  test('10,000 keys written through the proxy land on all three servers, 15–55 % each', async (t) => {
    const commands = Array.from({ length: keyCount }, (_, i) => ['SET', keyFor(i), valueFor(i)]);
    const replies = await client.pipeline(commands, 20_000);
    assert.deepEqual(
      replies.filter((reply) => !(reply instanceof Simple && reply.value === 'OK')),
      [],
    );
    const sizes = (await Promise.all(direct.map((c) => c.call('DBSIZE')))) as number[];
    assert.equal(
      sizes.reduce((sum, size) => sum + size, 0),
      keyCount,
      `DBSIZE per server: ${sizes.join(', ')}`,
    );
    for (const [i, size] of sizes.entries()) {
      const share = size / keyCount;
      assert.ok(
        share >= shareMin && share <= shareMax,
        `${serverNames[i]} holds ${(share * 100).toFixed(1)} % of the keys (${sizes.join(', ')})`,
      );
    }
    t.diagnostic(`keys per server (DBSIZE): ${sizes.join(', ')}`);
    // Each key is on exactly one server: note which, for the ejection test.
    const exists = Array.from({ length: keyCount }, (_, i) => ['EXISTS', keyFor(i)]);
    const held = await Promise.all(direct.map((c) => c.pipeline(exists, 20_000)));
    for (let i = 0; i < keyCount; i++) {
      const owners = held.flatMap((replies, server) => (replies[i] === 1 ? [server] : []));
      assert.equal(owners.length, 1, `${keyFor(i)} is on servers [${owners.join(', ')}]`);
      ownerOf[i] = owners[0] as number;
    }
  });

  test('every key reads back through the proxy as it was written', async () => {
    const commands = Array.from({ length: keyCount }, (_, i) => ['GET', keyFor(i)]);
    const replies = await client.pipeline(commands, 20_000);
    const wrong = replies.flatMap((reply, i) => (reply === valueFor(i) ? [] : [keyFor(i)]));
    assert.deepEqual(wrong, []);
  });

  test('MGET and DEL across the servers answer as one server would', async () => {
    // Keys from every server, in an order that jumps between them, and two missing keys: the
    // proxy splits the MGET per server and puts the values back in the order asked.
    const indexes = Array.from({ length: 300 }, (_, j) => (j * 7919) % keyCount);
    assert.equal(new Set(indexes.map((i) => ownerOf[i])).size, 3, 'keys of all three servers');
    const keys = [
      ...indexes.map(keyFor),
      'missing:1',
      ...indexes.slice(0, 5).map(keyFor),
      'missing:2',
    ];
    const reply = await client.call('MGET', ...keys);
    assert.deepEqual(reply, [
      ...indexes.map(valueFor),
      null,
      ...indexes.slice(0, 5).map(valueFor),
      null,
    ]);
    const deleted = Array.from({ length: 24 }, (_, j) => `del:${j * 1009}`);
    assert.deepEqual(await client.call('MSET', ...deleted.flatMap((key) => [key, key])), OK);
    const holders = await Promise.all(direct.map((c) => c.call('EXISTS', ...deleted)));
    assert.ok(
      holders.filter((count) => count !== 0).length >= 2,
      `the keys are spread over several servers (${holders.join(', ')})`,
    );
    assert.equal(await client.call('DEL', ...deleted, 'del:missing'), deleted.length);
    assert.deepEqual(
      await client.call('MGET', ...deleted),
      deleted.map(() => null),
    );
    const after = (await Promise.all(direct.map((c) => c.call('DBSIZE')))) as number[];
    assert.equal(
      after.reduce((sum, size) => sum + size, 0),
      keyCount,
      'DEL removed exactly its keys, on whichever server held them',
    );
  });

  test('keys that share a {hash tag} land on one server together', async () => {
    // So an MSET of them is one MSET on one server, atomic there, and a multi-key EXISTS
    // (which twemproxy 0.5.0 sends whole to its first key's server) counts them all.
    const tagged = ['name', 'mail', 'plan', 'seen', 'cart', 'city'].map((f) => `{user:42}:${f}`);
    const commandsBefore = await commandCounts(direct);
    assert.deepEqual(await client.call('MSET', ...tagged.flatMap((key) => [key, key])), OK);
    const commandsAfter = await commandCounts(direct);
    // Each count includes the INFO that read it.
    const mset = commandsAfter.map((count, i) => count - (commandsBefore[i] as number) - 1);
    assert.deepEqual([...mset].sort(), [0, 0, 1], `one MSET on one server: ${mset.join(', ')}`);
    const held = await Promise.all(direct.map((c) => c.call('EXISTS', ...tagged)));
    assert.deepEqual([...held].sort(), [0, 0, tagged.length], `per server: ${held.join(', ')}`);
    assert.equal(await client.call('EXISTS', ...tagged), tagged.length);
    assert.equal(await client.call('DEL', ...tagged), tagged.length);
  });

  test('50 clients pipelining through the proxy each get their own replies, in order', async () => {
    // twemproxy sends every client's requests down one connection per server, interleaved:
    // a reply that went to the wrong request, or out of order, shows up against the model.
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => RespClient.connect((proxy as RunningNutcracker).port)),
    );
    try {
      await Promise.all(
        clients.map(async (c, id) => {
          assert.deepEqual(await c.call('AUTH', password), OK);
          const random = seededRandom(id + 1);
          const model = new Map<string, string>();
          const key = () => `mux:${id}:${Math.floor(random() * 20)}`;
          for (let round = 0; round < 4; round++) {
            const commands: Arg[][] = [];
            const expected: unknown[] = [];
            for (let n = 0; n < 40; n++) {
              const roll = random();
              if (roll < 0.3) {
                const k = key();
                const v = `${id}.${round}.${n}`;
                commands.push(['SET', k, v]);
                expected.push('+OK');
                model.set(k, v);
              } else if (roll < 0.55) {
                const k = key();
                commands.push(['GET', k]);
                expected.push(model.get(k) ?? null);
              } else if (roll < 0.7) {
                const ks = [key(), key(), key(), key()];
                commands.push(['MGET', ...ks]);
                expected.push(ks.map((k) => model.get(k) ?? null));
              } else if (roll < 0.8) {
                const ks = [...new Set([key(), key(), key()])];
                commands.push(['DEL', ...ks]);
                expected.push(ks.filter((k) => model.has(k)).length);
                for (const k of ks) model.delete(k);
              } else if (roll < 0.9) {
                const k = key();
                const current = model.get(k);
                commands.push(['INCR', k]);
                if (current !== undefined && !/^-?\d+$/.test(current)) {
                  expected.push('-ERR value is not an integer or out of range');
                } else {
                  const next = String(Number(current ?? 0) + 1);
                  expected.push(Number(next));
                  model.set(k, next);
                }
              } else {
                const ks = [...new Set([key(), key(), key()])];
                commands.push(['MSET', ...ks.flatMap((k) => [k, `m${round}.${n}`])]);
                expected.push('+OK');
                for (const k of ks) model.set(k, `m${round}.${n}`);
              }
            }
            const replies = await c.pipeline(commands, 20_000);
            assert.deepEqual(replies.map(plain), expected, `client ${id}, round ${round}`);
          }
        }),
      );
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('commands the proxy cannot route close the client connection, not a server', async () => {
    const before = (await Promise.all(direct.map((c) => c.call('DBSIZE')))) as number[];
    for (const command of [['MULTI'], ['KEYS', '*'], ['DBSIZE'], ['FLUSHALL']]) {
      const c = await RespClient.connect((proxy as RunningNutcracker).port);
      assert.deepEqual(await c.call('AUTH', password), OK);
      c.send(...command);
      assert.ok(await c.closesWithin(2_000), `the proxy closed the connection after ${command[0]}`);
    }
    const sizes = (await Promise.all(direct.map((c) => c.call('DBSIZE')))) as number[];
    assert.deepEqual(sizes, before, 'no FLUSHALL got through');
    assert.equal(await client.call('GET', keyFor(1)), valueFor(1));
  });

  test('a killed server is ejected; the others keep serving new keys, and only its keys miss', async (t) => {
    const proxyNow = proxy as RunningNutcracker;
    const killed = 2;
    const survivorsBefore = (await Promise.all(
      direct.filter((_, i) => i !== killed).map((c) => c.call('DBSIZE')),
    )) as number[];
    await servers[killed]?.stop('SIGKILL');
    // Long enough for the proxy to try the dead server again once and eject it again.
    const deadlineMs = Date.now() + 3 * retryTimeoutMs + 4_000;
    const newKeys = Array.from({ length: 1_000 }, (_, i) => `after-kill:${i}`);
    const writes = await untilAnswered(
      client,
      newKeys.map((key) => ['SET', key, key]),
      deadlineMs,
    );
    assert.ok(writes.replies.every((reply) => reply instanceof Simple && reply.value === 'OK'));
    // Past the retry timeout the proxy tries the dead server with real requests, which fail,
    // and ejects it again: the survivors go on serving through that too.
    await sleep(retryTimeoutMs + 200);
    const reads = await untilAnswered(
      client,
      newKeys.map((key) => ['GET', key]),
      deadlineMs,
    );
    assert.deepEqual(reads.replies, newKeys);
    let stats = await proxyNow.stats();
    while (stats.serverEjects === 0 && Date.now() < deadlineMs) {
      await sleep(100);
      stats = await proxyNow.stats();
    }
    assert.ok(stats.serverEjects >= 1, `server_ejects ${stats.serverEjects}`);
    t.diagnostic(
      `rounds with failed requests: ${writes.failedRounds} writing, ${reads.failedRounds} ` +
        `reading; the proxy's server_ejects: ${stats.serverEjects}`,
    );
    const survivorsAfter = (await Promise.all(
      direct.filter((_, i) => i !== killed).map((c) => c.call('DBSIZE')),
    )) as number[];
    assert.equal(
      survivorsAfter.reduce((a, b) => a + b, 0) - survivorsBefore.reduce((a, b) => a + b, 0),
      newKeys.length,
      'every new key went to one of the two servers left',
    );
    // Consistent hashing: the survivors' keys stayed where they were and still hit; only the
    // killed server's keys miss (the proxy now routes them to a survivor, which lacks them).
    const old = await untilAnswered(
      client,
      Array.from({ length: keyCount }, (_, i) => ['GET', keyFor(i)]),
      deadlineMs + 5_000,
    );
    const wrong: string[] = [];
    for (let i = 0; i < keyCount; i++) {
      const want = ownerOf[i] === killed ? null : valueFor(i);
      if (old.replies[i] !== want) wrong.push(`${keyFor(i)}: ${String(old.replies[i])}`);
    }
    assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} keys answered wrongly`);
  });
});
