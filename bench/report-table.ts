/**
 * The bench's text report: Markdown tables, so the same text reads in a terminal and pastes
 * into the README. One row per configuration and server, with server CPU per op split into the
 * main thread and the shards, and Haus/Redis ratios on each Haus row (line protocol and RESP);
 * then, when the node floor ran, Haus against it per row (how much of the gap to Redis is Node
 * itself); then, when two clients ran, the second client's table and both clients' ratios side
 * by side; then memory per key and the target checks.
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
    // Redis and the floor have no shards: their other threads (Redis's bio and io, V8's
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

/**
 * Per row, Haus's ops/s over the node floor's (both doors), and the floor's over Redis's: the
 * floor is what one Node thread does with no work at all, so Haus / floor near 1 says the rest
 * of the gap to Redis is Node's per-request cost, not Haus's. Empty when the floor did not run.
 */
function floorComparison(outcomes: ScenarioOutcome[]): string[] {
  const doors = (['haus', 'haus-resp'] as const).filter((kind) =>
    outcomes.some((o) => o.results[kind] !== undefined && o.results['node-floor'] !== undefined),
  );
  const rows = outcomes.flatMap((outcome) => {
    const floor = outcome.results['node-floor'];
    if (floor === undefined) return [];
    const over = (top: Aggregate | undefined, bottom: Aggregate | undefined) =>
      top === undefined || bottom === undefined
        ? '-'
        : `${(top.opsPerSec / bottom.opsPerSec).toFixed(2)}x`;
    const cells = [
      outcome.scenario.label,
      ...doors.map((kind) => over(outcome.results[kind], floor)),
      over(floor, outcome.results.redis),
    ];
    return [`| ${cells.join(' | ')} |`];
  });
  if (rows.length === 0) return [];
  const heads = [
    ...doors.map((kind) => `${SERVER_LABEL[kind]} / node floor`),
    'node floor / Redis',
  ];
  return [
    'Haus / node floor (ops/s; the floor is one Node thread, one Map, no checks: ' +
      "what is left of Haus's gap to Redis once Node's own cost is taken out)",
    '',
    `| configuration | ${heads.join(' | ')} |`,
    `|---|${heads.map(() => '--:').join('|')}|`,
    ...rows,
  ];
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
