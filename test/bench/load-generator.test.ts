/**
 * The load generator against real servers over real TCP: it counts exactly the replies it
 * asked for from a real Haus server, and it counts wrong replies from a broken peer as errors
 * instead of as throughput. No timing is asserted: these runs prove counting, not speed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Keyspace } from '../../bench/keyspace.js';
import { LoadGenerator, type LoadTarget, type RunOptions } from '../../bench/load-generator.js';
import { type RunningServer, redisAvailable, startHaus, startRedis } from '../../bench/servers.js';

const keyspace = { keys: 1000, keyBytes: 16, valueBytes: 32 };

function countedRun(pipeline: number, unitsTotal: number, getRatio = 0.9): RunOptions {
  return { pipeline, getRatio, durationS: null, unitsTotal, warmupS: 0, progressLabel: null };
}

async function generate(
  target: LoadTarget,
  options: { txWrites: number; fill: boolean },
  run: RunOptions,
) {
  const generator = await LoadGenerator.start({
    target,
    connections: 2,
    threads: 2,
    keyspace,
    txWrites: options.txWrites,
    pipelineMax: 64,
  });
  try {
    const fill = options.fill ? await generator.fill(64) : null;
    return { fill, result: await generator.run(run) };
  } finally {
    await generator.close();
  }
}

describe('against a real Haus server', () => {
  let haus: RunningServer;
  let target: LoadTarget;
  before(async () => {
    haus = await startHaus({ shards: 2 });
    target = { host: haus.host, port: haus.port, protocol: 'haus', pid: haus.pid };
  });
  after(() => haus.stop());

  test('2 connections at P=4 get exactly one right reply per request', async () => {
    const { fill, result } = await generate(
      target,
      { txWrites: 0, fill: true },
      countedRun(4, 2000),
    );
    assert.deepEqual({ keys: fill?.keys, errors: fill?.errors }, { keys: 1000, errors: 0 });
    assert.deepEqual(result.errorSamples, []);
    assert.equal(result.errors, 0);
    assert.equal(result.ops, 2000);
    assert.ok(result.cpuUs !== null, 'server CPU is read from /proc');
  });

  test('transactions (START, 4 PUTs, COMMIT): each command an op, each commit a tx', async () => {
    for (const pipeline of [1, 6]) {
      const { result } = await generate(
        target,
        { txWrites: 4, fill: false },
        countedRun(pipeline, 300),
      );
      assert.deepEqual(result.errorSamples, [], `P=${pipeline}`);
      assert.deepEqual([result.ops, result.transactions], [300 * 6, 300], `P=${pipeline}`);
    }
  });

  test('rows without transactions report no tx count', async () => {
    const { result } = await generate(target, { txWrites: 0, fill: false }, countedRun(1, 50, 0));
    assert.deepEqual([result.ops, result.transactions, result.txPerSec], [50, null, null]);
  });
});

describe('against a real Haus server over RESP', () => {
  test('single ops and MULTI/EXEC transactions are counted and verified as for Redis', async () => {
    const haus = await startHaus({ shards: 2, protocol: 'resp' });
    try {
      assert.equal(haus.kind, 'haus-resp');
      const target: LoadTarget = {
        host: haus.host,
        port: haus.port,
        protocol: 'resp',
        pid: haus.pid,
      };
      const single = await generate(target, { txWrites: 0, fill: true }, countedRun(4, 2000));
      assert.deepEqual(single.result.errorSamples, []);
      assert.deepEqual([single.result.ops, single.result.errors], [2000, 0]);
      const tx = await generate(target, { txWrites: 4, fill: false }, countedRun(1, 300));
      assert.deepEqual(tx.result.errorSamples, []);
      assert.deepEqual([tx.result.ops, tx.result.transactions, tx.result.errors], [1800, 300, 0]);
    } finally {
      await haus.stop();
    }
  });
});

describe('against a real Redis server', { skip: !redisAvailable() && 'no redis-server' }, () => {
  test('single ops and MULTI/EXEC transactions are counted and verified', async () => {
    const redis = await startRedis();
    try {
      const target: LoadTarget = {
        host: redis.host,
        port: redis.port,
        protocol: 'resp',
        pid: redis.pid,
      };
      const single = await generate(target, { txWrites: 0, fill: true }, countedRun(4, 2000));
      assert.deepEqual([single.result.ops, single.result.errors], [2000, 0]);
      const tx = await generate(target, { txWrites: 4, fill: false }, countedRun(1, 300));
      assert.deepEqual([tx.result.ops, tx.result.transactions, tx.result.errors], [1800, 300, 0]);
    } finally {
      await redis.stop();
    }
  });
});

/**
 * A peer that answers every command Ok, a millisecond late, and records the most commands it
 * ever held unanswered on one connection (an interactive client never has more than one), and
 * each connection's commands in order.
 */
function slowOkServer(seen: { mostUnanswered: number; commands: string[][] }): Promise<Server> {
  const server = createServer((socket) => {
    let unanswered = 0;
    const commands: string[] = [];
    seen.commands.push(commands);
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = text.split('\n').filter((line) => line !== '');
      unanswered += lines.length;
      seen.mostUnanswered = Math.max(seen.mostUnanswered, unanswered);
      commands.push(...lines.map((line) => line.split(' ')[0] ?? ''));
      setTimeout(() => {
        unanswered -= lines.length;
        if (!socket.destroyed) socket.write('{"status": "Ok"}\n'.repeat(lines.length));
      }, 1);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('interactive transactions', () => {
  test('at P=1 each command waits for the previous reply; at P=6 they go together', async () => {
    for (const [pipeline, most] of [
      [1, 1],
      [6, 6],
    ] as const) {
      const seen = { mostUnanswered: 0, commands: [] as string[][] };
      const server = await slowOkServer(seen);
      try {
        const { result } = await generate(
          targetOf(server),
          { txWrites: 4, fill: false },
          countedRun(pipeline, 10),
        );
        assert.deepEqual([result.ops, result.transactions, result.errors], [60, 10, 0]);
        assert.equal(seen.mostUnanswered, most, `P=${pipeline}`);
        assert.deepEqual(seen.commands[0]?.slice(0, 6), [
          'START',
          'PUT',
          'PUT',
          'PUT',
          'PUT',
          'COMMIT',
        ]);
      } finally {
        server.close();
      }
    }
  });
});

/**
 * A broken peer: speaks the Haus framing but answers each GET with the value of the next key
 * (right shape, wrong key), or cuts the connection after `closeAfter` lines.
 */
function brokenHausServer(options: { closeAfter: number | null }): Promise<Server> {
  const names = new Keyspace(keyspace);
  const server = createServer((socket) => {
    let buffered = '';
    let lines = 0;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      if (socket.writableEnded) return;
      buffered += text;
      let newline = buffered.indexOf('\n');
      let reply = '';
      while (newline !== -1) {
        const [command, key] = buffered.slice(0, newline).split(' ');
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        lines += 1;
        if (options.closeAfter !== null && lines > options.closeAfter) {
          socket.end(reply); // the answers so far still go out, then the cut
          return;
        }
        const wrongValue = names.value((Number(key?.slice(1)) + 1) % keyspace.keys);
        reply +=
          command === 'GET'
            ? `{"status": "Ok", "result": "${wrongValue}"}\n`
            : '{"status": "Ok"}\n';
      }
      socket.write(reply);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function targetOf(server: Server): LoadTarget {
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { host: '127.0.0.1', port: address.port, protocol: 'haus', pid: null };
}

describe('against a broken peer', () => {
  test("a GET answered with another key's value is an error, every time", async () => {
    const server = await brokenHausServer({ closeAfter: null });
    try {
      const { result } = await generate(
        targetOf(server),
        { txWrites: 0, fill: false },
        countedRun(4, 500, 1),
      );
      assert.equal(result.ops, 500);
      assert.equal(result.errors, 500);
      assert.match(result.errorSamples[0] ?? '', /expected Value for key \d+, got Value/);
    } finally {
      server.close();
    }
  });

  test('a connection cut mid-run ends the run and counts what was unanswered', async () => {
    const server = await brokenHausServer({ closeAfter: 50 });
    try {
      const { result } = await generate(
        targetOf(server),
        { txWrites: 0, fill: false },
        countedRun(4, 1000, 0),
      );
      assert.equal(result.ops, 100, '50 answered PUTs on each of the 2 connections');
      assert.equal(result.errors, 8, 'P=4 unanswered on each of the 2 connections');
      assert.match(result.errorSamples[0] ?? '', /connection closed by the server/);
    } finally {
      server.close();
    }
  });
});
