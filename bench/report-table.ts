/**
 * The bench's text report: Markdown tables, so the same text reads in a terminal and pastes
 * into the README. One row per configuration and server, with server CPU per op split into the
 * main thread and the shards, and Haus/Redis ratios on each Haus row (line protocol and RESP);
 * then, when a floor ran, Haus against it per row (how much of the gap to Redis is Node itself,
 * and how much is Haus's design); then, when two clients ran, the second client's table and
 * both clients' ratios side by side; then memory per key and the target checks.
 */
import type { ClientName } from './load-driver.js';
import type { Aggregate } from './run-aggregate.js';
import { hasShards, SERVER_KINDS, SERVER_LABEL, type ServerKind } from './servers.js';
import type { ScenarioOutcome, SuiteOutcome } from './suite-runner.js';
import type { TargetCheck } from './targets.js';

const CLIENT_TITLE: Record<ClientName, string> = {
  node: "Client: the bench's Node client",
  loadgen: 'Client: loadgen (../shared/loadgen, C)',
};

const HEADER = [
  '| configuration | server | ops/s | tx/s | p50 µs | p99 µs | p99.9 µs | ' +
    'server CPU µs/op | main thread | shards | client CPU µs/op | errors | ' +
    'Haus/Redis ops/s | Haus/Redis p50 | Haus/Redis p99 |',
  '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
];

export function formatReport(suite: SuiteOutcome, targets: TargetCheck[], runs: number): string {
  const lines = resultTable(suite.outcomes);
  const floor = floorComparison(suite.outcomes);
  if (floor.length > 0) lines.push('', ...floor);
  if (suite.crossCheck !== null) {
    lines.push('', ...resultTable(suite.crossCheck), '', ...clientComparison(suite));
  }
  const memory = memoryRows(suite.outcomes);
  if (memory.length > 0) {
    lines.push(
      '',
      '| keys | value bytes | Haus RSS B/key | Redis used_memory B/key | ' +
        'Redis RSS B/key | Haus RSS / Redis used_memory |',
      '|--:|--:|--:|--:|--:|--:|',
      ...memory,
    );
  }
  if (targets.length > 0) {
    lines.push('', `Targets (defined on the median of 3 runs; this report: ${runs} run(s))`);
    for (const target of targets) lines.push(formatTarget(target));
  }
  const errorSamples = [...suite.outcomes, ...(suite.crossCheck ?? [])].flatMap((outcome) =>
    Object.entries(outcome.results).flatMap(([kind, result]) =>
      result.errorSamples.map(
        (text) => `  ${kind} ${outcome.scenario.id} (${outcome.client}): ${text}`,
      ),
    ),
  );
  if (errorSamples.length > 0) lines.push('', 'Wrong replies (first few):', ...errorSamples);
  if (suite.notes.length > 0) lines.push('', ...suite.notes.map((note) => `Note: ${note}`));
  return `${lines.join('\n')}\n`;
}

function resultTable(outcomes: ScenarioOutcome[]): string[] {
  const client = outcomes[0]?.client ?? 'node';
  return [CLIENT_TITLE[client], '', ...HEADER, ...outcomes.flatMap(scenarioRows)];
}

function scenarioRows(outcome: ScenarioOutcome): string[] {
  const { redis } = outcome.results;
  const label = outcome.scenario.label;
  return SERVER_KINDS.flatMap((kind) => {
    const result = outcome.results[kind];
    if (result === undefined) return [];
    const against = kind !== 'redis' && redis !== undefined ? redis : null;
    return [row(label, kind, result, against)];
  });
}

function row(label: string, kind: ServerKind, result: Aggregate, redis: Aggregate | null) {
  const ratio = (pick: (a: Aggregate) => number) =>
    redis === null ? '' : `${(pick(result) / pick(redis)).toFixed(2)}x`;
  const cells = [
    label,
    SERVER_LABEL[kind],
    thousands(result.opsPerSec),
    result.txPerSec === null ? '' : thousands(result.txPerSec),
    thousands(result.p50Us),
    thousands(result.p99Us),
    thousands(result.p999Us),
    micros(result.cpuTotalUs),
    micros(result.cpuMainUs),
    // Redis and the node floor have no shards: their other threads (Redis's bio and io, V8's
    // helpers) are background work, shown as "-".
    hasShards(kind) ? micros(result.cpuOtherThreadsUs) : '-',
    micros(result.clientCpuUs),
    String(result.errors),
    ratio((a) => a.opsPerSec),
    ratio((a) => a.p50Us),
    ratio((a) => a.p99Us),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** The floors Haus is read against, each with what it is and what Haus / it says. */
const FLOORS = [
  {
    kind: 'node-floor',
    name: 'node floor',
    title:
      'Haus / node floor (ops/s; the floor is one Node thread, one Map, no checks: ' +
      "what is left of Haus's gap to Redis once Node's own cost is taken out)",
  },
  {
    kind: 'node-floor-sharded',
    name: 'sharded floor',
    title:
      "Haus / sharded floor (ops/s; the floor is Haus's design with no checks, a main thread " +
      "and as many shard threads as Haus, one batch per shard per turn: what Haus's own work " +
      "costs on top of its design's thread hop)",
  },
] as const satisfies ReadonlyArray<{ kind: ServerKind; name: string; title: string }>;

/**
 * Per row, Haus's ops/s over each floor's that ran (both doors), and each floor's over
 * Redis's. The node floor is what one Node thread does with no work at all, so Haus / node
 * floor near 1 says the rest of the gap to Redis is Node's per-request cost, not Haus's; the
 * sharded floor is the same for Haus's design, so Haus / sharded floor near 1 says Haus's
 * checks, locks and undo records cost little beyond the hop to the shards. Empty when no floor
 * ran.
 */
function floorComparison(outcomes: ScenarioOutcome[]): string[] {
  const columns = FLOORS.filter((floor) =>
    outcomes.some((o) => o.results[floor.kind] !== undefined),
  ).map((floor) => ({ floor, doors: doorsBeside(floor.kind, outcomes) }));
  if (columns.length === 0) return [];
  const rows = outcomes.flatMap((outcome) => {
    if (columns.every(({ floor }) => outcome.results[floor.kind] === undefined)) return [];
    const cells = columns.flatMap(({ floor, doors }) => {
      const bottom = outcome.results[floor.kind];
      return [
        ...doors.map((kind) => opsOver(outcome.results[kind], bottom)),
        opsOver(bottom, outcome.results.redis),
      ];
    });
    return [`| ${outcome.scenario.label} | ${cells.join(' | ')} |`];
  });
  const heads = columns.flatMap(({ floor, doors }) => [
    ...doors.map((kind) => `${SERVER_LABEL[kind]} / ${floor.name}`),
    `${floor.name} / Redis`,
  ]);
  return [
    ...columns.map(({ floor }) => floor.title),
    '',
    `| configuration | ${heads.join(' | ')} |`,
    `|---|${heads.map(() => '--:').join('|')}|`,
    ...rows,
  ];
}

/** Haus's doors measured in some row beside the floor `floorKind`. */
function doorsBeside(floorKind: ServerKind, outcomes: ScenarioOutcome[]): ServerKind[] {
  return (['haus', 'haus-resp'] as const).filter((kind) =>
    outcomes.some((o) => o.results[kind] !== undefined && o.results[floorKind] !== undefined),
  );
}

function opsOver(top: Aggregate | undefined, bottom: Aggregate | undefined): string {
  return top === undefined || bottom === undefined
    ? '-'
    : `${(top.opsPerSec / bottom.opsPerSec).toFixed(2)}x`;
}

/** Both clients' Haus/Redis ops/s ratios per row, and how far the second is from the first. */
function clientComparison(suite: SuiteOutcome): string[] {
  const first = suite.outcomes[0]?.client ?? 'loadgen';
  const second = suite.crossCheck?.[0]?.client ?? 'node';
  const lines = [
    `Haus/Redis ops/s by client (${second} - ${first}: how far the ${second} client's ratio is)`,
    '',
    `| configuration | server | ${first} | ${second} | difference | ` +
      `client CPU µs/op ${first} | ${second} |`,
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const outcome of suite.outcomes) {
    const other = suite.crossCheck?.find((o) => o.scenario.id === outcome.scenario.id);
    for (const kind of SERVER_KINDS) {
      if (kind === 'redis') continue;
      const a = opsRatio(outcome, kind);
      const b = other === undefined ? null : opsRatio(other, kind);
      if (a === null && b === null) continue;
      const difference = a === null || b === null ? '-' : signed(b - a);
      const clientCpu = (o: ScenarioOutcome | undefined) =>
        micros(o?.results[kind]?.clientCpuUs ?? null);
      lines.push(
        `| ${outcome.scenario.label} | ${SERVER_LABEL[kind]} | ${fixed(a)} | ${fixed(b)} | ` +
          `${difference} | ${clientCpu(outcome)} | ${clientCpu(other)} |`,
      );
    }
  }
  return lines;
}

export function opsRatio(outcome: ScenarioOutcome, kind: ServerKind): number | null {
  const haus = outcome.results[kind];
  const redis = outcome.results.redis;
  return haus === undefined || redis === undefined ? null : haus.opsPerSec / redis.opsPerSec;
}

function memoryRows(outcomes: ScenarioOutcome[]): string[] {
  return outcomes.flatMap((outcome) => {
    const { haus, redis } = outcome.memory;
    if (haus === undefined && redis === undefined) return [];
    const first = haus ?? redis;
    const ratio =
      haus?.rssBytesPerKey != null && redis?.usedMemoryBytesPerKey != null
        ? `${(haus.rssBytesPerKey / redis.usedMemoryBytesPerKey).toFixed(2)}x`
        : '-';
    return [
      `| ${thousands(first?.keys ?? 0)} | ${first?.valueBytes ?? '-'} | ` +
        `${bytes(haus?.rssBytesPerKey)} | ${bytes(redis?.usedMemoryBytesPerKey)} | ` +
        `${bytes(redis?.rssBytesPerKey)} | ${ratio} |`,
    ];
  });
}

function formatTarget(target: TargetCheck): string {
  const verdict = target.passed === null ? 'not measured' : target.passed ? 'PASS' : 'FAIL';
  const ratio = target.ratio === null ? '' : ` (measured ${target.ratio.toFixed(2)}x)`;
  return `  ${verdict.padEnd(12)} ${target.name}: ${target.wanted}${ratio}`;
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '-';
}

function micros(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '-' : value.toFixed(2);
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
}

function bytes(value: number | null | undefined): string {
  return value == null ? '-' : value.toFixed(0);
}
