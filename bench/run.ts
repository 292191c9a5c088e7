/**
 * `npm run bench`: parses the flags, picks the suite (quick, full or one configuration), runs
 * it against servers it starts itself (or one given with --connect), then the redis-benchmark
 * side by side when asked (`--redis-benchmark`, or `--full`), prints the report on stdout and
 * writes results and charts. Progress goes to stderr so stdout stays the report.
 */
import { type BenchArgs, HELP, parseBenchArgs } from './args.js';
import { drawCharts } from './charts.js';
import { runClusterBench } from './cluster/cluster-bench.js';
import { runEvictionBench } from './eviction/eviction-bench.js';
import type { LoadDriver, RunLength } from './load-driver.js';
import { loadgenDriver } from './loadgen/loadgen-driver.js';
import { nodeClientDriver } from './node-client-driver.js';
import { type RedisBenchmarkOutcome, runRedisBenchmark } from './redis-benchmark-runner.js';
import { formatRedisBenchmark } from './redis-benchmark-table.js';
import { formatReport } from './report-table.js';
import { describeMachine, writeResults } from './results-file.js';
import { fullScenarios, quickScenarios, singleScenario } from './scenarios.js';
import { runSnapshotBench } from './snapshot/snapshot-bench.js';
import { runAgainst, runSuite, type SuiteOutcome } from './suite-runner.js';
import { checkTargets, type TargetCheck } from './targets.js';

async function main(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : error}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.suite === 'cluster') return runClusterBench(args);
  if (args.suite === 'snapshot') return runSnapshotBench(args);
  if (args.suite === 'eviction') return runEvictionBench(args);
  const machine = describeMachine();
  process.stderr.write(
    `bench: ${args.suite} suite, ${args.runs} run(s) each, ` +
      `${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ` +
      `Redis ${machine.redis ?? 'not found'}, ${args.threads} client thread(s), ` +
      `client: ${args.loadgen === null ? 'Node' : `loadgen ${args.loadgen}`}` +
      `${args.compareClients ? ' and Node, alternating' : ''}\n`,
  );
  const suite = await runChosenSuite(args);
  const redisBenchmark = wantsRedisBenchmark(args) ? await runRedisBenchmark(args) : null;
  const targets = checkTargets(suite.outcomes);
  const report = composeReport({ args, suite, targets, redisBenchmark });
  process.stdout.write(`\n${report}`);
  const charts = args.charts && suite.outcomes.length > 0 ? drawCharts(suite.outcomes) : [];
  const written = writeResults({ args, suite, targets, redisBenchmark, report, charts });
  process.stderr.write(`wrote ${written.join(', ')}\n`);
  const errors = suite.outcomes.some((outcome) =>
    Object.values(outcome.results).some((result) => result.errors > 0),
  );
  return errors || (redisBenchmark?.errors.length ?? 0) > 0 ? 1 : 0;
}

function wantsRedisBenchmark(args: BenchArgs): boolean {
  return args.suite === 'full' || args.suite === 'redis-benchmark';
}

/** The load generator's tables (when a suite ran), then the redis-benchmark side by side. */
function composeReport(parts: {
  args: BenchArgs;
  suite: SuiteOutcome;
  targets: TargetCheck[];
  redisBenchmark: RedisBenchmarkOutcome | null;
}): string {
  const { args, suite, targets, redisBenchmark } = parts;
  const sections: string[] = [];
  if (suite.outcomes.length > 0) sections.push(formatReport(suite, targets, args.runs));
  if (redisBenchmark !== null) sections.push(formatRedisBenchmark(redisBenchmark, args.shards));
  return sections.join('\n');
}

function runChosenSuite(args: BenchArgs): Promise<SuiteOutcome> {
  if (args.suite === 'redis-benchmark') {
    return Promise.resolve({ outcomes: [], crossCheck: null, notes: [] });
  }
  const drivers = chooseDrivers(args);
  if (args.suite === 'single') {
    const scenario = singleScenario(args);
    const [driver] = drivers;
    return args.connect === null || driver === undefined
      ? runSuite([scenario], args, drivers)
      : runAgainst(args.connect, scenario, args, driver);
  }
  const scenarios = args.suite === 'full' ? fullScenarios(args) : quickScenarios(args);
  return runSuite(scenarios, args, drivers);
}

/** loadgen when given (its numbers are the report's), then the Node client to compare. */
function chooseDrivers(args: BenchArgs): LoadDriver[] {
  const length: RunLength = {
    durationS: args.durationS,
    requests: args.requests,
    warmupS: args.warmupS,
    threads: args.threads,
  };
  if (args.loadgen === null) return [nodeClientDriver(length)];
  const loadgen = loadgenDriver(args.loadgen, length);
  return args.compareClients ? [loadgen, nodeClientDriver(length)] : [loadgen];
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
