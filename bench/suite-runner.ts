/**
 * Runs a list of scenarios against the servers. Scenarios that can share a server (same kind,
 * shard count and keyspace) share one start and one fill, in the order they are listed; each
 * server is stopped before the next starts, so two servers never compete for the cores. With
 * `--runs N` each scenario runs N times back to back on the same warm server.
 */
import type { BenchArgs } from './args.js';
import { LoadGenerator } from './load-generator.js';
import { readRssBytes } from './proc-stats.js';
import { type Aggregate, aggregate } from './run-aggregate.js';
import type { Scenario } from './scenarios.js';
import { redisUsedMemoryBytes } from './server-query.js';
import {
  REDIS_MISSING,
  type RunningServer,
  redisAvailable,
  type ServerKind,
  startHaus,
  startRedis,
} from './servers.js';

/** Deep enough that the fill is quick, shallow enough to stay under any output limit. */
const FILL_PIPELINE = 128;
const FILL_CONNECTIONS = 8;
/** Lets the server's allocator and GC settle before resident memory is read. */
const MEMORY_SETTLE_MS = 1500;

export interface MemoryOutcome {
  keys: number;
  valueBytes: number;
  /** Resident memory growth over the fill, per key. */
  rssBytesPerKey: number | null;
  /** Redis only: growth of its own `used_memory`, per key. */
  usedMemoryBytesPerKey: number | null;
}

export interface ScenarioOutcome {
  scenario: Scenario;
  results: Partial<Record<ServerKind, Aggregate>>;
  memory: Partial<Record<ServerKind, MemoryOutcome>>;
}

export interface SuiteOutcome {
  outcomes: ScenarioOutcome[];
  /** Why a server was left out (e.g. redis-server missing), for the report. */
  notes: string[];
}

interface Setup {
  kind: ServerKind;
  scenarios: Scenario[];
}

export async function runSuite(scenarios: Scenario[], args: BenchArgs): Promise<SuiteOutcome> {
  const notes: string[] = [];
  const outcomes = scenarios.map(
    (scenario): ScenarioOutcome => ({ scenario, results: {}, memory: {} }),
  );
  let kinds = args.servers;
  if (kinds.includes('redis') && !redisAvailable()) {
    notes.push(REDIS_MISSING);
    kinds = kinds.filter((kind) => kind !== 'redis');
  }
  for (const setup of groupIntoSetups(scenarios, kinds)) {
    const server = await start(setup);
    try {
      await runSetup(server, setup, args, outcomes);
    } finally {
      await server.stop();
    }
  }
  return { outcomes, notes };
}

/** Drives a server that is already running (`--connect`): one scenario, no start, no stop. */
export async function runAgainst(
  target: NonNullable<BenchArgs['connect']>,
  scenario: Scenario,
  args: BenchArgs,
): Promise<SuiteOutcome> {
  const kind: ServerKind = target.protocol === 'haus' ? 'haus' : 'redis';
  const outcome: ScenarioOutcome = { scenario, results: {}, memory: {} };
  const server: RunningServer = {
    kind,
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    pid: target.pid ?? -1,
    stop: async () => {},
  };
  await runSetup(server, { kind, scenarios: [scenario] }, args, [outcome]);
  return { outcomes: [outcome], notes: [`${kind} at ${target.host}:${target.port}`] };
}

function groupIntoSetups(scenarios: Scenario[], kinds: readonly ServerKind[]): Setup[] {
  const setups = new Map<string, Setup>();
  for (const kind of kinds) {
    for (const scenario of scenarios) {
      if (!scenario.servers.includes(kind)) continue;
      const { keys, keyBytes, valueBytes } = scenario.keyspace;
      const shards = kind === 'redis' ? 0 : scenario.hausShards;
      const key = `${kind}/${shards}/${keys}/${keyBytes}/${valueBytes}`;
      const setup = setups.get(key) ?? { kind, scenarios: [] };
      setup.scenarios.push(scenario);
      setups.set(key, setup);
    }
  }
  return [...setups.values()];
}

function start(setup: Setup): Promise<RunningServer> {
  const first = setup.scenarios[0];
  if (setup.kind === 'redis') return startRedis();
  const protocol = setup.kind === 'haus-resp' ? 'resp' : 'haus';
  return startHaus({ shards: first?.hausShards ?? 1, protocol });
}

async function runSetup(
  server: RunningServer,
  setup: Setup,
  args: BenchArgs,
  outcomes: ScenarioOutcome[],
): Promise<void> {
  const first = setup.scenarios[0];
  if (first === undefined) return;
  const target = {
    host: server.host,
    port: server.port,
    protocol: server.protocol,
    pid: server.pid > 0 ? server.pid : null,
    password: args.connect?.password ?? null,
  };
  const memoryBefore = await readMemory(server);
  const filler = await LoadGenerator.start({
    target,
    connections: FILL_CONNECTIONS,
    threads: args.threads,
    keyspace: first.keyspace,
    txWrites: 0,
    pipelineMax: FILL_PIPELINE,
  });
  const fill = await filler.fill(FILL_PIPELINE).finally(() => filler.close());
  process.stderr.write(
    `${server.kind}: filled ${fill.keys} keys in ${fill.seconds.toFixed(1)} s` +
      `${fill.errors > 0 ? `, ${fill.errors} errors: ${fill.errorSamples.join(' | ')}` : ''}\n`,
  );
  if (fill.errors > 0) throw new Error(`${server.kind}: the fill got wrong replies`);
  const memory = first.measureMemory ? await memoryGrowth(server, memoryBefore, first) : null;
  for (const scenario of setup.scenarios) {
    const outcome = outcomes.find((candidate) => candidate.scenario === scenario);
    if (outcome === undefined) continue;
    if (memory !== null) outcome.memory[server.kind] = memory;
    const runs = [];
    for (let run = 1; run <= args.runs; run += 1) {
      const label = `${server.kind} ${scenario.id}${args.runs > 1 ? ` run ${run}` : ''}`;
      runs.push(await runOnce(target, scenario, args, label));
    }
    outcome.results[server.kind] = aggregate(runs);
  }
}

async function runOnce(
  target: Parameters<typeof LoadGenerator.start>[0]['target'],
  scenario: Scenario,
  args: BenchArgs,
  label: string,
) {
  const { load } = scenario;
  const generator = await LoadGenerator.start({
    target,
    connections: load.connections,
    threads: args.threads,
    keyspace: scenario.keyspace,
    txWrites: load.txWrites,
    pipelineMax: load.pipeline,
  });
  try {
    return await generator.run({
      pipeline: load.pipeline,
      getRatio: load.getRatio,
      durationS: args.requests === null ? args.durationS : null,
      opsTotal: args.requests,
      warmupS: args.warmupS,
      progressLabel: label,
    });
  } finally {
    await generator.close();
  }
}

interface MemoryReading {
  rssBytes: number | null;
  usedMemoryBytes: number | null;
}

async function readMemory(server: RunningServer): Promise<MemoryReading> {
  const usedMemoryBytes =
    server.kind === 'redis' ? await redisUsedMemoryBytes(server.host, server.port) : null;
  return { rssBytes: server.pid > 0 ? readRssBytes(server.pid) : null, usedMemoryBytes };
}

async function memoryGrowth(server: RunningServer, before: MemoryReading, scenario: Scenario) {
  await new Promise((resolve) => setTimeout(resolve, MEMORY_SETTLE_MS));
  const after = await readMemory(server);
  const { keys, valueBytes } = scenario.keyspace;
  const perKey = (a: number | null, b: number | null) =>
    a === null || b === null ? null : (b - a) / keys;
  const outcome: MemoryOutcome = {
    keys,
    valueBytes,
    rssBytesPerKey: perKey(before.rssBytes, after.rssBytes),
    usedMemoryBytesPerKey: perKey(before.usedMemoryBytes, after.usedMemoryBytes),
  };
  return outcome;
}
