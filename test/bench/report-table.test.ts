/**
 * The report's table: server CPU per op split into main thread and shards (the difference),
 * Redis's shards shown as "-", tx/s on transaction rows only, Haus/Redis ratios (p50 too, for
 * the single-client latency row), and, when two clients ran, both clients' ratios side by side.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchArgs } from '../../bench/args.js';
import type { ClientName } from '../../bench/load-driver.js';
import type { RunResult } from '../../bench/load-generator.js';
import { formatReport } from '../../bench/report-table.js';
import { aggregate } from '../../bench/run-aggregate.js';
import { quickScenarios } from '../../bench/scenarios.js';
import type { ScenarioOutcome } from '../../bench/suite-runner.js';

function run(opsPerSec: number, p50: number, cpu: [number, number] | null, tx = false): RunResult {
  return {
    ops: opsPerSec,
    transactions: tx ? opsPerSec / 6 : null,
    errors: 0,
    errorSamples: [],
    seconds: 1,
    opsPerSec,
    txPerSec: tx ? opsPerSec / 6 : null,
    latencyUs: { p50, p99: p50 * 4, p999: p50 * 8, max: p50 * 10, mean: p50 },
    cpuUs:
      cpu === null ? null : { totalUs: cpu[0], mainUs: cpu[1], otherThreadsUs: cpu[0] - cpu[1] },
    clientCpuUs: 2.5,
  };
}

const scenarios = quickScenarios(parseBenchArgs([]));
const byId = (id: string) => {
  const scenario = scenarios.find((candidate) => candidate.id === id);
  assert.ok(scenario !== undefined, id);
  return scenario;
};

function outcomes(client: ClientName, hausOps: number): ScenarioOutcome[] {
  return [
    {
      scenario: byId('txi4'),
      client,
      results: {
        haus: aggregate([run(hausOps, 500, [10, 7], true)]),
        redis: aggregate([run(120_000, 250, [3, 3], true)]),
      },
      memory: {},
    },
    {
      scenario: byId('lat1'),
      client,
      results: {
        haus: aggregate([run(30_000, 30, [24, 15])]),
        redis: aggregate([run(100_000, 10, [4, 4])]),
      },
      memory: {},
    },
  ];
}

test('rows carry tx/s, CPU split into main thread and shards, and ratios', () => {
  const report = formatReport(
    { outcomes: outcomes('loadgen', 60_000), crossCheck: null, notes: [] },
    [],
    1,
  );
  const line = (start: string) => report.split('\n').find((text) => text.startsWith(start));
  assert.equal(
    line('| tx K=4 interactive, P=1, 50 conns | Haus |'),
    '| tx K=4 interactive, P=1, 50 conns | Haus | 60,000 | 10,000 | 500 | 2,000 | 4,000 | ' +
      '10.00 | 7.00 | 3.00 | 2.50 | 0 | 0.50x | 2.00x | 2.00x |',
  );
  assert.equal(
    line('| 1 conn, P=1, GETs | Redis |'),
    '| 1 conn, P=1, GETs | Redis | 100,000 |  | 10 | 40 | 80 | 4.00 | 4.00 | - | 2.50 | 0 |  |  |  |',
  );
  assert.match(report, /^Client: loadgen/m);
  assert.doesNotMatch(report, /by client/);
});

test('with two clients, both ratios and their difference are listed per row', () => {
  const report = formatReport(
    { outcomes: outcomes('loadgen', 36_000), crossCheck: outcomes('node', 60_000), notes: [] },
    [],
    3,
  );
  assert.match(report, /^Client: the bench's Node client/m);
  assert.match(
    report,
    /^\| tx K=4 interactive, P=1, 50 conns \| Haus \| 0\.30 \| 0\.50 \| \+0\.20 \| 2\.50 \| 2\.50 \|$/m,
  );
  assert.match(report, /^\| 1 conn, P=1, GETs \| Haus \| 0\.30 \| 0\.30 \| \+0\.00 \|/m);
});

test('with both floors, Haus is read against each: a column pair per floor, - where one is missing', () => {
  const [txi4, lat1] = outcomes('loadgen', 60_000);
  assert.ok(txi4 !== undefined && lat1 !== undefined);
  txi4.results['node-floor'] = aggregate([run(100_000, 300, [5, 5], true)]);
  txi4.results['node-floor-sharded'] = aggregate([run(80_000, 400, [8, 5], true)]);
  lat1.results['node-floor-sharded'] = aggregate([run(60_000, 20, [20, 12])]);
  const report = formatReport({ outcomes: [txi4, lat1], crossCheck: null, notes: [] }, [], 1);
  assert.match(report, /^Haus \/ node floor \(ops\/s;.*\)\nHaus \/ sharded floor \(ops\/s;.*\)$/m);
  assert.match(
    report,
    /^\| configuration \| Haus \/ node floor \| node floor \/ Redis \| Haus \/ sharded floor \| sharded floor \/ Redis \|$/m,
  );
  assert.match(
    report,
    /^\| tx K=4 interactive, P=1, 50 conns \| 0\.60x \| 0\.83x \| 0\.75x \| 0\.67x \|$/m,
  );
  assert.match(report, /^\| 1 conn, P=1, GETs \| - \| - \| 0\.50x \| 0\.60x \|$/m);
  // The sharded floor's shard threads are shown, as Haus's are; the node floor has none.
  assert.match(
    report,
    /^\| tx K=4 interactive, P=1, 50 conns \| Node floor, sharded \|.* \| 8\.00 \| 5\.00 \| 3\.00 \|/m,
  );
  assert.match(
    report,
    /^\| tx K=4 interactive, P=1, 50 conns \| Node floor \|.* \| 5\.00 \| 5\.00 \| - \|/m,
  );
});
