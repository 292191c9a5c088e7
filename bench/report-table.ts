/**
 * The bench's text report: Markdown tables, so the same text reads in a terminal and pastes
 * into the README. One row per configuration and server, Haus/Redis ratios on each Haus row
 * (line protocol and RESP), then memory per key and the target checks.
 */
import type { Aggregate } from './run-aggregate.js';
import { SERVER_KINDS, SERVER_LABEL } from './servers.js';
import type { ScenarioOutcome, SuiteOutcome } from './suite-runner.js';
import type { TargetCheck } from './targets.js';

export function formatReport(suite: SuiteOutcome, targets: TargetCheck[], runs: number): string {
  const lines = [
    '| configuration | server | ops/s | p50 µs | p99 µs | p99.9 µs | server CPU µs/op ' +
      '(all / main thread) | client CPU µs/op | errors | Haus/Redis ops/s | Haus/Redis p99 |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const outcome of suite.outcomes) lines.push(...scenarioRows(outcome));
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
  const errorSamples = suite.outcomes.flatMap((outcome) =>
    Object.entries(outcome.results).flatMap(([kind, result]) =>
      result.errorSamples.map((text) => `  ${kind} ${outcome.scenario.id}: ${text}`),
    ),
  );
  if (errorSamples.length > 0) lines.push('', 'Wrong replies (first few):', ...errorSamples);
  if (suite.notes.length > 0) lines.push('', ...suite.notes.map((note) => `Note: ${note}`));
  return `${lines.join('\n')}\n`;
}

function scenarioRows(outcome: ScenarioOutcome): string[] {
  const { redis } = outcome.results;
  const label = outcome.scenario.label;
  return SERVER_KINDS.flatMap((kind) => {
    const result = outcome.results[kind];
    if (result === undefined) return [];
    const compared = kind !== 'redis' && redis !== undefined;
    const opsRatio = compared ? `${(result.opsPerSec / redis.opsPerSec).toFixed(2)}x` : '';
    const p99Ratio = compared ? `${(result.p99Us / redis.p99Us).toFixed(2)}x` : '';
    return [row(label, SERVER_LABEL[kind], result, opsRatio, p99Ratio)];
  });
}

function row(
  label: string,
  server: string,
  result: Aggregate,
  opsRatio: string,
  p99Ratio: string,
): string {
  const cpu =
    result.cpuTotalUs === null || result.cpuMainUs === null
      ? '-'
      : `${result.cpuTotalUs.toFixed(2)} / ${result.cpuMainUs.toFixed(2)}`;
  const cells = [
    label,
    server,
    thousands(result.opsPerSec),
    thousands(result.p50Us),
    thousands(result.p99Us),
    thousands(result.p999Us),
    cpu,
    result.clientCpuUs === null ? '-' : result.clientCpuUs.toFixed(2),
    String(result.errors),
    opsRatio,
    p99Ratio,
  ];
  return `| ${cells.join(' | ')} |`;
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

function bytes(value: number | null | undefined): string {
  return value == null ? '-' : value.toFixed(0);
}
