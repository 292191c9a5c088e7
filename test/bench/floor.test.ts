/**
 * The node floor as a bench server: opt-in in `--server`, started by the suite runner from
 * dist/bench/floor/floor-server.js, driven through the same row runner as Haus (every reply
 * checked, exact counts), reported with shards `-` and a Haus / node floor line per row.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBenchArgs, parseServers } from '../../bench/args.js';
import { loadgenDriver } from '../../bench/loadgen/loadgen-driver.js';
import { nodeClientDriver } from '../../bench/node-client-driver.js';
import { formatReport } from '../../bench/report-table.js';
import { singleScenario } from '../../bench/scenarios.js';
import { runSuite } from '../../bench/suite-runner.js';
import { smallBenchArgs } from '../support/bench-args.js';

const loadgen = parseBenchArgs([]).loadgen; // $HAUS_LOADGEN when it names an executable

function benchArgs(extra: string[]) {
  return smallBenchArgs(['-c', '2', '-P', '4', ...extra]);
}

test('the floor is opt-in: not in the default or in all, named or all+floor brings it', () => {
  assert.deepEqual(parseServers(undefined), ['haus', 'haus-resp', 'redis']);
  assert.deepEqual(parseServers('all'), ['haus', 'haus-resp', 'redis']);
  assert.deepEqual(parseServers('all+floor'), [
    'haus',
    'haus-resp',
    'node-floor',
    'node-floor-sharded',
    'redis',
  ]);
  assert.deepEqual(parseServers('redis,node-floor,haus'), ['haus', 'node-floor', 'redis']);
  assert.throws(() => parseServers('floor'), /--server "floor" is not valid/);
});

describe('the row runner drives the floor beside Haus', () => {
  test('Node client: exact counts, no wrong replies, CPU read, Haus / node floor reported', async () => {
    const args = benchArgs(['--node-client', '--server', 'haus,node-floor', '-n', '2000']);
    const scenario = singleScenario(args);
    const suite = await runSuite([scenario], args, [
      nodeClientDriver({ durationS: 1, requests: 2000, warmupS: 0, threads: 1 }),
    ]);
    const floor = suite.outcomes[0]?.results['node-floor'];
    assert.ok(floor !== undefined, 'the floor ran');
    assert.deepEqual(floor.errorSamples, []);
    assert.deepEqual([floor.runs[0]?.ops, floor.errors], [2000, 0]);
    assert.ok(floor.cpuMainUs !== null, 'floor CPU read from /proc');
    assert.ok(suite.outcomes[0]?.results.haus !== undefined, 'Haus ran in the same session');
    const report = formatReport(suite, [], 1);
    assert.match(
      report,
      /^\| P=4, 2 conns, 0\.9 GET \| Node floor \| [\d,]+ \|.* \| - \| [\d.]+ \| 0 \|/m,
    );
    assert.match(report, /^\| configuration \| Haus \/ node floor \|/m);
    assert.match(report, /^\| P=4, 2 conns, 0\.9 GET \| \d+\.\d\dx \| - \|$/m);
  });

  test('Node client: transactions (START, 4 PUTs, COMMIT) answered Ok', async () => {
    const args = benchArgs(['--node-client', '--server', 'node-floor', '--tx', '4', '-n', '200']);
    const suite = await runSuite([singleScenario(args)], args, [
      nodeClientDriver({ durationS: 1, requests: 200, warmupS: 0, threads: 1 }),
    ]);
    const floor = suite.outcomes[0]?.results['node-floor'];
    assert.deepEqual(floor?.errorSamples, []);
    assert.deepEqual([floor?.runs[0]?.ops, floor?.runs[0]?.transactions], [1200, 200]);
  });

  test('loadgen ($HAUS_LOADGEN) fills and drives it with --check', {
    skip: loadgen === null && 'HAUS_LOADGEN not set',
  }, async () => {
    if (loadgen === null) return;
    const args = benchArgs(['--server', 'node-floor', '-n', '2000']);
    const suite = await runSuite([singleScenario(args)], args, [
      loadgenDriver(loadgen, { durationS: 1, requests: 2000, warmupS: 0, threads: 1 }),
    ]);
    const floor = suite.outcomes[0]?.results['node-floor'];
    assert.deepEqual([floor?.errors, floor?.errorSamples], [0, []]);
    assert.ok((floor?.runs[0]?.ops ?? 0) >= 2000, 'loadgen counted its commands');
  });
});
