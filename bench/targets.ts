/**
 * The performance targets for Haus, each a ratio against Redis measured in the same
 * bench run (so the machine and the client are the same for both). They are defined on the
 * median of 3 runs (`--runs 3`); a check on fewer runs is reported but marked as such. Haus
 * over RESP has its own throughput targets, as its front door is a different hot path.
 */
import type { ServerKind } from './servers.js';
import type { ScenarioOutcome } from './suite-runner.js';

export interface TargetCheck {
  name: string;
  /** The wanted relation, in words, e.g. "Haus >= 0.5x Redis ops/s". */
  wanted: string;
  /** The measured ratio Haus/Redis, or null when one side was not measured. */
  ratio: number | null;
  passed: boolean | null;
}

interface TargetRule {
  name: string;
  wanted: string;
  scenarioId: string;
  measure: (outcome: ScenarioOutcome) => number | null;
  passes: (ratio: number) => boolean;
}

const opsRatio = (kind: ServerKind) => (outcome: ScenarioOutcome) => {
  const haus = outcome.results[kind];
  const redis = outcome.results.redis;
  return haus === undefined || redis === undefined ? null : haus.opsPerSec / redis.opsPerSec;
};

const p99Ratio = (outcome: ScenarioOutcome) => {
  const { haus, redis } = outcome.results;
  return haus === undefined || redis === undefined ? null : haus.p99Us / redis.p99Us;
};

const memoryRatio = (outcome: ScenarioOutcome) => {
  const haus = outcome.memory.haus?.rssBytesPerKey;
  const redis = outcome.memory.redis?.usedMemoryBytesPerKey;
  return haus == null || redis == null ? null : haus / redis;
};

const RULES: TargetRule[] = [
  {
    name: 'P=1 throughput',
    wanted: 'Haus >= 0.5x Redis ops/s',
    scenarioId: 'p1',
    measure: opsRatio('haus'),
    passes: (ratio) => ratio >= 0.5,
  },
  {
    name: 'P=1 p99 latency',
    wanted: 'Haus p99 <= 3x Redis p99',
    scenarioId: 'p1',
    measure: p99Ratio,
    passes: (ratio) => ratio <= 3,
  },
  {
    name: 'P=16 throughput',
    wanted: 'Haus >= 0.4x Redis ops/s',
    scenarioId: 'p16',
    measure: opsRatio('haus'),
    passes: (ratio) => ratio >= 0.4,
  },
  {
    name: 'transactions',
    wanted: 'Haus tx >= 0.4x Redis MULTI/EXEC ops/s',
    scenarioId: 'tx4',
    measure: opsRatio('haus'),
    passes: (ratio) => ratio >= 0.4,
  },
  {
    name: 'RESP P=1 throughput',
    wanted: 'Haus RESP >= 0.5x Redis ops/s',
    scenarioId: 'p1',
    measure: opsRatio('haus-resp'),
    passes: (ratio) => ratio >= 0.5,
  },
  {
    name: 'RESP P=16 throughput',
    wanted: 'Haus RESP >= 0.5x Redis ops/s',
    scenarioId: 'p16',
    measure: opsRatio('haus-resp'),
    passes: (ratio) => ratio >= 0.5,
  },
  {
    name: 'memory at 1M keys',
    wanted: 'Haus RSS/key <= 1.6x Redis used_memory/key',
    scenarioId: 'keys-1m',
    measure: memoryRatio,
    passes: (ratio) => ratio <= 1.6,
  },
];

export function checkTargets(outcomes: ScenarioOutcome[]): TargetCheck[] {
  return RULES.flatMap((rule) => {
    const outcome = outcomes.find((candidate) => candidate.scenario.id === rule.scenarioId);
    if (outcome === undefined) return [];
    const ratio = rule.measure(outcome);
    return [
      {
        name: rule.name,
        wanted: rule.wanted,
        ratio,
        passed: ratio === null || !Number.isFinite(ratio) ? null : rule.passes(ratio),
      },
    ];
  });
}
