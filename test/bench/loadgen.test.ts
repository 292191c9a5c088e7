/**
 * The C load generator's side of the bench: every quick-suite row maps to the loadgen command
 * line that measures the same shape, its one-line summary is read by name (and a missing
 * field is an error, never a zero), and, when $HAUS_LOADGEN names a built loadgen, a real run
 * against Haus is counted and checked through the driver.
 */
import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import { describe, test } from 'node:test';
import { parseBenchArgs } from '../../bench/args.js';
import { ratio, runArgs } from '../../bench/loadgen/loadgen-args.js';
import { loadgenDriver } from '../../bench/loadgen/loadgen-driver.js';
import { parseLoadgenSummary } from '../../bench/loadgen/loadgen-output.js';
import { quickScenarios } from '../../bench/scenarios.js';
import { startHaus } from '../../bench/servers.js';

const LINE =
  'proto=haus c=50 P=1 T=1 keys=100000 vsize=32 ratio=9:1 elapsed=3.00s ops=302266 ' +
  'ops/s=100737 p50=435 p99=1855 p99.9=5695 max=10193 us errors=0 misses=2 loadgen_cpu=35%';

describe('loadgen summary line', () => {
  test('fields are read by name, units stripped', () => {
    assert.deepEqual(parseLoadgenSummary(`preloaded ...\n${LINE}\n`), {
      elapsedS: 3,
      ops: 302266,
      opsPerSec: 100737,
      p50Us: 435,
      p99Us: 1855,
      p999Us: 5695,
      maxUs: 10193,
      errors: 0,
      misses: 2,
      txPerSec: null,
      cpuPercent: 35,
    });
  });

  test('a transaction run carries txn/s', () => {
    const line = LINE.replace('ratio=9:1', 'ratio=9:1 txn').replace(
      ' loadgen',
      ' txn/s=1234 loadgen',
    );
    assert.equal(parseLoadgenSummary(line).txPerSec, 1234);
  });

  test('a missing or non-numeric field is an error naming it', () => {
    assert.throws(() => parseLoadgenSummary(LINE.replace(' p99=1855', '')), /p99/);
    assert.throws(() => parseLoadgenSummary(LINE.replace('ops=302266', 'ops=x')), /ops/);
    assert.throws(() => parseLoadgenSummary('connect 127.0.0.1:1: refused'), /no loadgen summary/);
  });
});

describe('quick suite rows as loadgen command lines', () => {
  const args = parseBenchArgs([]);
  const target = { port: 9999, protocol: 'haus' as const };
  const commandOf = (id: string) => {
    const scenario = quickScenarios(args).find((candidate) => candidate.id === id);
    assert.ok(scenario !== undefined, id);
    const argv = runArgs({
      target,
      keyspace: scenario.keyspace,
      load: scenario.load,
      threads: 1,
      length: { durationS: 5 },
    });
    return argv.join(' ');
  };
  const common = '--port 9999 --proto haus --keys 100000 --value-size 32';

  test('each row is the shape the issue names', () => {
    assert.equal(commandOf('p1'), `${common} -c 50 -P 1 -T 1 -d 5 --ratio 9:1 --check -q`);
    assert.equal(commandOf('p16'), `${common} -c 50 -P 16 -T 1 -d 5 --ratio 9:1 --check -q`);
    assert.equal(commandOf('rw1'), `${common} -c 50 -P 1 -T 1 -d 5 --ratio 1:1 --check -q`);
    assert.equal(commandOf('txi4'), `${common} -c 50 -P 1 -T 1 -d 5 --txn 4 --check -q`);
    assert.equal(commandOf('tx4'), `${common} -c 50 -P 6 -T 1 -d 5 --txn 4 --check -q`);
    assert.equal(commandOf('lat1'), `${common} -c 1 -P 1 -T 1 -d 5 --ratio 1:0 --check -q`);
  });

  test('GET shares become G:P in lowest terms', () => {
    assert.deepEqual([0.9, 0.5, 1, 0, 0.75].map(ratio), ['9:1', '1:1', '1:0', '0:1', '3:1']);
  });
});

describe('--loadgen flags', () => {
  test('a path that is not an executable file is refused', () => {
    assert.throws(() => parseBenchArgs(['--loadgen', '/nonexistent/lg']), /--loadgen/);
  });
  test('--compare-clients needs a loadgen', () => {
    assert.throws(() => parseBenchArgs(['--node-client', '--compare-clients']), /needs a loadgen/);
  });
});

const built = process.env.HAUS_LOADGEN;
const runnable = built !== undefined && built !== '' && isExecutable(built);

describe('a real loadgen against Haus', { skip: !runnable && 'set HAUS_LOADGEN' }, () => {
  test('interactive transactions: every command an op, every commit a tx, 0 errors', async () => {
    const haus = await startHaus({ shards: 2 });
    try {
      const driver = loadgenDriver(built ?? '', {
        durationS: 0.3,
        requests: 100,
        warmupS: 0,
        threads: 1,
      });
      const target = { host: haus.host, port: haus.port, protocol: 'haus' as const, pid: haus.pid };
      const [scenario] = quickScenarios(parseBenchArgs([])).filter((s) => s.id === 'txi4');
      assert.ok(scenario !== undefined);
      const small = { ...scenario, keyspace: { ...scenario.keyspace, keys: 1000 } };
      const fill = await driver.fill(target, small.keyspace);
      assert.equal(fill.errors, 0);
      const result = await driver.run(target, small, 'test');
      assert.deepEqual(result.errorSamples, []);
      assert.deepEqual([result.ops, result.errors], [600, 0]);
      assert.ok(result.cpuUs !== null && result.cpuUs.totalUs > 0, 'server CPU read');
    } finally {
      await haus.stop();
    }
  });
});

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
