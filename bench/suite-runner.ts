/**
 * Runs a list of scenarios against the servers. Servers of one keyspace (one per kind and
 * shard count) are started and filled together, then, for each scenario and each run, driven
 * in turn (haus, haus-resp, [the floors,] redis, haus, haus-resp, redis, ...), so that on a
 * machine shared with other work a slow spell falls on every server alike and the medians of
 * `--runs N` compare like with like. Only one server is driven at a time; the others sit idle.
 * With two clients (`--compare-clients`), each server's runs alternate between them too.
 */
import type { BenchArgs } from './args.js';
import type { ClientName, LoadDriver } from './load-driver.js';
import type { LoadTarget, RunResult } from './load-generator.js';
import { readRssBytes } from './proc-stats.js';
import { type Aggregate, aggregate } from './run-aggregate.js';
import type { Scenario } from './scenarios.js';
import { redisUsedMemoryBytes } from './server-query.js';
import {
  hasShards,
  REDIS_MISSING,
  type RunningServer,
  redisAvailable,
  type ServerKind,
  startFloor,
  startHaus,
  startRedis,
  startShardedFloor,
} from './servers.js';

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
  /** The client that drove these runs. */
  client: ClientName;
  results: Partial<Record<ServerKind, Aggregate>>;
  memory: Partial<Record<ServerKind, MemoryOutcome>>;
}

export interface SuiteOutcome {
  /** The report's numbers: those of the first driver (loadgen when it is given). */
  outcomes: ScenarioOutcome[];
  /** The same scenarios by the second driver (`--compare-clients`: the Node client), or null. */
  crossCheck: ScenarioOutcome[] | null;
  /** Why a server was left out (e.g. redis-server missing), for the report. */
  notes: string[];
}

interface Setup {
  kind: ServerKind;
  hausShards: number;
  scenarios: Scenario[];
}

/** Servers sharing a keyspace: started, filled, driven in turn and stopped together. */
interface Session {
  setups: Setup[];
  scenarios: Scenario[];
}

interface LiveSetup {
  setup: Setup;
  server: RunningServer;
  target: LoadTarget;
  runs: Map<string, RunResult[]>;
}

export async function runSuite(
  scenarios: Scenario[],
  args: BenchArgs,
  drivers: readonly LoadDriver[],
): Promise<SuiteOutcome> {
  const notes: string[] = [];
  let kinds = args.servers;
  if (kinds.includes('redis') && !redisAvailable()) {
    notes.push(REDIS_MISSING);
    kinds = kinds.filter((kind) => kind !== 'redis');
  }
  const perDriver = drivers.map((driver) =>
    scenarios.map(
      (scenario): ScenarioOutcome => ({
        scenario,
        client: driver.client,
        results: {},
        memory: {},
      }),
    ),
  );
  for (const session of groupIntoSessions(scenarios, kinds)) {
    const live: LiveSetup[] = [];
    try {
      for (const setup of session.setups) {
        const server = await start(setup);
        const entry = liveSetup(setup, server, args, drivers);
        live.push(entry);
        await fillAndMeasureMemory(entry, drivers, perDriver);
      }
      await driveInTurn(session, live, args, drivers);
      for (const entry of live) collect(entry, drivers, perDriver);
    } finally {
      for (const entry of live) await entry.server.stop();
    }
  }
  return { outcomes: perDriver[0] ?? [], crossCheck: perDriver[1] ?? null, notes };
}

/** Drives a server that is already running (`--connect`): one scenario, no start, no stop. */
export async function runAgainst(
  target: NonNullable<BenchArgs['connect']>,
  scenario: Scenario,
  args: BenchArgs,
  driver: LoadDriver,
): Promise<SuiteOutcome> {
  const kind: ServerKind = target.protocol === 'haus' ? 'haus' : 'redis';
  const loadTarget: LoadTarget = {
    host: target.host,
    port: target.port,
    protocol: target.protocol,
    pid: target.pid,
    password: target.password,
  };
  const fill = await driver.fill(loadTarget, scenario.keyspace);
  reportFill(kind, fill);
  const runs: RunResult[] = [];
  for (let run = 1; run <= args.runs; run += 1) {
    runs.push(await driver.run(loadTarget, scenario, runLabel(kind, scenario, run, args, driver)));
  }
  const outcome: ScenarioOutcome = {
    scenario,
    client: driver.client,
    results: { [kind]: aggregate(runs) },
    memory: {},
  };
  return {
    outcomes: [outcome],
    crossCheck: null,
    notes: [`${kind} at ${target.host}:${target.port}`],
  };
}

/** Scenarios with one keyspace form one session; each server kind and shard count, a setup. */
function groupIntoSessions(scenarios: Scenario[], kinds: readonly ServerKind[]): Session[] {
  const sessions = new Map<string, Session>();
  for (const scenario of scenarios) {
    const { keys, keyBytes, valueBytes } = scenario.keyspace;
    const sessionKey = `${keys}/${keyBytes}/${valueBytes}`;
    const session = sessions.get(sessionKey) ?? { setups: [], scenarios: [] };
    sessions.set(sessionKey, session);
    session.scenarios.push(scenario);
    for (const kind of kinds) {
      if (!scenario.servers.includes(kind)) continue;
      const hausShards = hasShards(kind) ? scenario.hausShards : 0;
      let setup = session.setups.find((s) => s.kind === kind && s.hausShards === hausShards);
      if (setup === undefined) {
        setup = { kind, hausShards, scenarios: [] };
        session.setups.push(setup);
      }
      setup.scenarios.push(scenario);
    }
  }
  return [...sessions.values()];
}

function start(setup: Setup): Promise<RunningServer> {
  if (setup.kind === 'redis') return startRedis();
  if (setup.kind === 'node-floor') return startFloor();
  if (setup.kind === 'node-floor-sharded') return startShardedFloor({ shards: setup.hausShards });
  const protocol = setup.kind === 'haus-resp' ? 'resp' : 'haus';
  return startHaus({ shards: setup.hausShards, protocol });
}

function liveSetup(
  setup: Setup,
  server: RunningServer,
  args: BenchArgs,
  drivers: readonly LoadDriver[],
): LiveSetup {
  const runs = new Map<string, RunResult[]>();
  for (const driver of drivers) {
    for (const scenario of setup.scenarios) runs.set(runsKey(driver, scenario), []);
  }
  const target: LoadTarget = {
    host: server.host,
    port: server.port,
    protocol: server.protocol,
    pid: server.pid > 0 ? server.pid : null,
    password: args.connect?.password ?? null,
  };
  return { setup, server, target, runs };
}

/**
 * Every driver fills its own keys (loadgen's names are not the Node client's). Memory per key
 * is read over the first driver's fill only, before the second adds its keys.
 */
async function fillAndMeasureMemory(
  entry: LiveSetup,
  drivers: readonly LoadDriver[],
  perDriver: ScenarioOutcome[][],
): Promise<void> {
  const { setup, server, target } = entry;
  const first = setup.scenarios[0];
  if (first === undefined) return;
  for (const [index, driver] of drivers.entries()) {
    const before = index === 0 && first.measureMemory ? await readMemory(server) : null;
    const fill = await driver.fill(target, first.keyspace);
    reportFill(server.kind, fill, drivers.length > 1 ? driver.client : null);
    if (before === null) continue;
    const memory = await memoryGrowth(server, before, first);
    for (const outcomes of perDriver) {
      for (const outcome of outcomes) {
        if (setup.scenarios.includes(outcome.scenario)) outcome.memory[server.kind] = memory;
      }
    }
  }
}

function reportFill(
  kind: ServerKind,
  fill: Awaited<ReturnType<LoadDriver['fill']>>,
  client: ClientName | null = null,
): void {
  process.stderr.write(
    `${kind}: filled ${fill.keys} keys${client === null ? '' : ` (${client})`} in ` +
      `${fill.seconds.toFixed(1)} s` +
      `${fill.errors > 0 ? `, ${fill.errors} errors: ${fill.errorSamples.join(' | ')}` : ''}\n`,
  );
  if (fill.errors > 0) throw new Error(`${kind}: the fill got wrong replies`);
}

/** For each scenario and run: every server that runs it, in turn, with every driver. */
async function driveInTurn(
  session: Session,
  live: LiveSetup[],
  args: BenchArgs,
  drivers: readonly LoadDriver[],
): Promise<void> {
  for (const scenario of session.scenarios) {
    for (let run = 1; run <= args.runs; run += 1) {
      for (const driver of drivers) {
        for (const entry of live) {
          if (!entry.setup.scenarios.includes(scenario)) continue;
          const label = runLabel(entry.server.kind, scenario, run, args, driver, drivers.length);
          const result = await driver.run(entry.target, scenario, label);
          entry.runs.get(runsKey(driver, scenario))?.push(result);
        }
      }
    }
  }
}

function collect(
  entry: LiveSetup,
  drivers: readonly LoadDriver[],
  perDriver: ScenarioOutcome[][],
): void {
  for (const [index, driver] of drivers.entries()) {
    for (const outcome of perDriver[index] ?? []) {
      const runs = entry.runs.get(runsKey(driver, outcome.scenario));
      if (runs !== undefined && runs.length > 0) {
        outcome.results[entry.server.kind] = aggregate(runs);
      }
    }
  }
}

function runsKey(driver: LoadDriver, scenario: Scenario): string {
  return `${driver.client}/${scenario.id}`;
}

function runLabel(
  kind: ServerKind,
  scenario: Scenario,
  run: number,
  args: BenchArgs,
  driver: LoadDriver,
  drivers = 1,
): string {
  return (
    `${kind} ${scenario.id}${args.runs > 1 ? ` run ${run}` : ''}` +
    `${drivers > 1 ? ` (${driver.client})` : ''}`
  );
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
