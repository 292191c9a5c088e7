/**
 * The sharded floor (bench/floor/sharded-floor-server.ts) as a bench server: opt-in in
 * `--server`, started by the suite runner with the bench's shard count, driven through the
 * same row runner as Haus (every reply checked, exact counts) at P=16 and with pipelined
 * transactions, and reported with its shard threads' CPU and a Haus / sharded floor column.
 * Then what its design must keep: one connection's replies in order although its commands go
 * to different shards, and batches and replies split, never cut, when they outgrow a shard's
 * buffers (tiny buffers here, so every batch splits).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { parseBenchArgs, parseServers } from '../../bench/args.js';
import { loadgenDriver } from '../../bench/loadgen/loadgen-driver.js';
import { nodeClientDriver } from '../../bench/node-client-driver.js';
import { formatReport } from '../../bench/report-table.js';
import { singleScenario } from '../../bench/scenarios.js';
import { waitUntilServing } from '../../bench/server-query.js';
import {
  freePort,
  LOOPBACK,
  SHARDED_FLOOR_SERVER_PATH,
  startShardedFloor,
} from '../../bench/servers.js';
import { runAgainst, runSuite } from '../../bench/suite-runner.js';
import { smallBenchArgs } from '../support/bench-args.js';
import { seededRandom } from '../support/random.js';

const loadgen = parseBenchArgs([]).loadgen; // $HAUS_LOADGEN when it names an executable
const OK = '{"status": "Ok"}';
const MISS = '{"status": "Error", "mesg": "Key not found!"}';
/** Small enough that a turn's batch for a shard, and its replies, split many times over. */
const TINY_SLOT_BYTES = 512;
const EXCHANGE_TIMEOUT_MS = 10_000;

function benchArgs(extra: string[]) {
  return smallBenchArgs(['-c', '4', ...extra]);
}

function nodeClient(requests: number) {
  return nodeClientDriver({ durationS: 1, requests, warmupS: 0, threads: 1 });
}

test('the sharded floor is opt-in: all+floor (floor.test.ts) or its name brings it', () => {
  assert.equal(parseServers('all').includes('node-floor-sharded'), false);
  assert.deepEqual(parseServers('node-floor-sharded,haus'), ['haus', 'node-floor-sharded']);
});

describe('the row runner drives the sharded floor beside Haus', () => {
  test('Node client, P=16: exact counts, no wrong replies, shard CPU, Haus / sharded floor', async () => {
    const args = benchArgs(['--node-client', '--server', 'haus,node-floor-sharded', '-P', '16']);
    const suite = await runSuite([singleScenario(args)], args, [nodeClient(4000)]);
    const floor = suite.outcomes[0]?.results['node-floor-sharded'];
    assert.ok(floor !== undefined, 'the sharded floor ran');
    assert.deepEqual([floor.runs[0]?.ops, floor.errors, floor.errorSamples], [4000, 0, []]);
    assert.ok(floor.cpuOtherThreadsUs !== null, 'shard threads CPU read from /proc');
    assert.ok(suite.outcomes[0]?.results.haus !== undefined, 'Haus ran in the same session');
    const report = formatReport(suite, [], 1);
    assert.match(
      report,
      /^\| P=16, 4 conns, 0\.9 GET \| Node floor, sharded \| [\d,]+ \|.* \| [\d.]+ \| [\d.]+ \| 0 \|/m,
    );
    assert.match(report, /^Haus \/ sharded floor \(ops\/s;/m);
    assert.match(
      report,
      /^\| configuration \| Haus \/ sharded floor \| sharded floor \/ Redis \|$/m,
    );
    assert.match(report, /^\| P=16, 4 conns, 0\.9 GET \| \d+\.\d\dx \| - \|$/m);
  });

  test('Node client: pipelined transactions (START, 4 PUTs, COMMIT at P=6) answered Ok', async () => {
    const args = benchArgs([
      '--node-client',
      '--server',
      'node-floor-sharded',
      '--tx',
      '4',
      '-P',
      '6',
    ]);
    const suite = await runSuite([singleScenario(args)], args, [nodeClient(300)]);
    const floor = suite.outcomes[0]?.results['node-floor-sharded'];
    assert.deepEqual(floor?.errorSamples, []);
    assert.deepEqual([floor?.runs[0]?.ops, floor?.runs[0]?.transactions], [1800, 300]);
  });

  for (const shape of [
    { name: 'P=16, 9:1', flags: ['-P', '16'] },
    { name: 'pipelined transactions', flags: ['--tx', '4', '-P', '6'] },
  ]) {
    test(`loadgen ($HAUS_LOADGEN), ${shape.name}: filled and driven with --check`, {
      skip: loadgen === null && 'HAUS_LOADGEN not set',
    }, async () => {
      if (loadgen === null) return;
      const args = benchArgs(['--server', 'node-floor-sharded', '-c', '8', ...shape.flags]);
      const suite = await runSuite([singleScenario(args)], args, [
        loadgenDriver(loadgen, { durationS: 1, requests: 2000, warmupS: 0, threads: 1 }),
      ]);
      const floor = suite.outcomes[0]?.results['node-floor-sharded'];
      assert.deepEqual([floor?.errors, floor?.errorSamples], [0, []]);
      assert.ok((floor?.runs[0]?.ops ?? 0) >= 2000, 'loadgen counted its commands');
    });
  }
});

describe('batches split, never cut, when they outgrow a shard buffer', () => {
  test('Node client at P=16 through 512-byte buffers: exact counts, no wrong replies', async () => {
    const server = await startShardedFloor({ shards: 2, slotBytes: TINY_SLOT_BYTES });
    try {
      for (const flags of [
        ['-P', '16'],
        ['--tx', '4', '-P', '6'],
      ]) {
        const args = benchArgs(['--node-client', '-c', '8', ...flags]);
        const target = { host: server.host, port: server.port, protocol: 'haus' as const };
        const suite = await runAgainst(
          { ...target, pid: server.pid, password: null },
          singleScenario(args),
          args,
          nodeClient(1000),
        );
        const result = suite.outcomes[0]?.results.haus;
        assert.deepEqual([result?.errors, result?.errorSamples], [0, []], flags.join(' '));
      }
    } finally {
      await server.stop();
    }
  });

  test("each connection's replies match a Map, in order, across shards and split batches", async () => {
    const server = await startShardedFloor({ shards: 3, slotBytes: TINY_SLOT_BYTES });
    try {
      const connections = Array.from({ length: 6 }, (_, index) =>
        checkAgainstModel(server.port, `c${index}-`, seededRandom(index + 1)),
      );
      await Promise.all(connections);
    } finally {
      await server.stop();
    }
  });

  test('a command too big for a shard buffer stops the floor rather than being cut', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [SHARDED_FLOOR_SERVER_PATH, String(port), '2', String(TINY_SLOT_BYTES)],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitUntilServing({
      host: LOOPBACK,
      port,
      protocol: 'haus',
      timeoutMs: 10_000,
      exited: () => (child.exitCode === null ? null : stderr),
    });
    const socket = connect({ host: LOOPBACK, port });
    socket.on('error', () => {});
    socket.write(`PUT big ${'v'.repeat(TINY_SLOT_BYTES)}\n`);
    const code = await exited;
    socket.destroy();
    assert.notEqual(code, 0);
    assert.match(stderr, /a command group of \d+ bytes does not fit a shard's 512-byte/);
  });
});

/**
 * Sends one connection's random GETs, PUTs and transactions (keys of its own, so no other
 * connection changes them) in a few pipelined writes, and checks every reply against a Map
 * applying the same commands in order.
 */
async function checkAgainstModel(port: number, prefix: string, random: () => number) {
  const model = new Map<string, string>();
  const commands: string[] = [];
  const expected: string[] = [];
  const key = () => `${prefix}${Math.floor(random() * 40)}`;
  const value = () => `v${'x'.repeat(Math.floor(random() * 60))}${Math.floor(random() * 1e6)}`;
  while (commands.length < 3000) {
    const pick = random();
    if (pick < 0.5) {
      const k = key();
      const v = model.get(k);
      commands.push(`GET ${k}\n`);
      expected.push(v === undefined ? MISS : `{"status": "Ok", "result": "${v}"}`);
    } else if (pick < 0.8) {
      const [k, v] = [key(), value()];
      model.set(k, v);
      commands.push(`PUT ${k} ${v}\n`);
      expected.push(OK);
    } else {
      const writes = 1 + Math.floor(random() * 4);
      commands.push('START\n');
      for (let i = 0; i < writes; i += 1) {
        const [k, v] = [key(), value()];
        model.set(k, v);
        commands.push(`PUT ${k} ${v}\n`);
      }
      commands.push('COMMIT\n');
      expected.push(...Array.from({ length: writes + 2 }, () => OK));
    }
  }
  const replies = await exchange(port, commands, expected.length);
  for (const [index, reply] of replies.entries()) {
    assert.equal(reply, expected[index], `${prefix} reply ${index} (${commands.length} commands)`);
  }
}

/**
 * Writes `commands` in chunks of up to 500 and resolves with the first `count` reply lines;
 * rejects after EXCHANGE_TIMEOUT_MS with how many came, as a lost reply would otherwise hang.
 */
function exchange(port: number, commands: string[], count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: LOOPBACK, port });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      const lines = received.split('\n').length - 1;
      reject(new Error(`${lines} of ${count} replies after ${EXCHANGE_TIMEOUT_MS} ms`));
    }, EXCHANGE_TIMEOUT_MS);
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (text: string) => {
      received += text;
      const lines = received.split('\n');
      if (lines.length <= count) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(lines.slice(0, count));
    });
    for (let at = 0; at < commands.length; at += 500) {
      socket.write(commands.slice(at, at + 500).join(''));
    }
  });
}
