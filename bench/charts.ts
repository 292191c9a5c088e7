/**
 * Which charts a bench run draws, from its outcomes: throughput per configuration (Haus vs
 * Redis), latency percentiles (log scale, since p99.9 can be 10x p50), and, in the full suite,
 * Haus throughput by shard count against the Redis P=16 line. Returns file names and SVG text;
 * the caller writes them.
 */
import { SERVER_KINDS, SERVER_LABEL, type ServerKind } from './servers.js';
import type { ScenarioOutcome } from './suite-runner.js';
import { renderBarChart } from './svg-bar-chart.js';

const COLOR: Record<ServerKind, string> = {
  haus: '#d9480f',
  'haus-resp': '#2b8a3e',
  'node-floor': '#7048e8',
  'node-floor-sharded': '#c2255c',
  redis: '#1864ab',
};
const LIGHT: Record<ServerKind, string> = {
  haus: '#ffa94d',
  'haus-resp': '#8ce99a',
  'node-floor': '#b197fc',
  'node-floor-sharded': '#faa2c1',
  redis: '#74c0fc',
};
const DARK: Record<ServerKind, string> = {
  haus: '#862e0c',
  'haus-resp': '#1b5e20',
  'node-floor': '#4527a0',
  'node-floor-sharded': '#a61e4d',
  redis: '#0b3a66',
};

export interface ChartFile {
  name: string;
  svg: string;
}

export function drawCharts(outcomes: ScenarioOutcome[]): ChartFile[] {
  const compared = outcomes.filter((o) => o.scenario.group !== 'shards');
  const files: ChartFile[] = [
    { name: 'throughput.svg', svg: throughputChart(compared) },
    { name: 'latency.svg', svg: latencyChart(compared) },
  ];
  const shards = outcomes.filter((o) => o.scenario.group === 'shards');
  if (shards.length > 0) files.push({ name: 'shard-scaling.svg', svg: shardChart(outcomes) });
  return files;
}

function throughputChart(outcomes: ScenarioOutcome[]): string {
  return renderBarChart({
    title: 'Throughput by configuration (higher is better)',
    yLabel: 'ops/s',
    categories: outcomes.map((o) => o.scenario.id),
    series: measuredKinds(outcomes).map((kind) => ({
      name: SERVER_LABEL[kind],
      color: COLOR[kind],
      values: outcomes.map((o) => o.results[kind]?.opsPerSec ?? null),
    })),
  });
}

function latencyChart(outcomes: ScenarioOutcome[]): string {
  const percentiles = [
    {
      name: 'p50',
      pick: (kind: ServerKind, o: ScenarioOutcome) => o.results[kind]?.p50Us,
      shade: LIGHT,
    },
    {
      name: 'p99',
      pick: (kind: ServerKind, o: ScenarioOutcome) => o.results[kind]?.p99Us,
      shade: COLOR,
    },
    {
      name: 'p99.9',
      pick: (kind: ServerKind, o: ScenarioOutcome) => o.results[kind]?.p999Us,
      shade: DARK,
    },
  ];
  return renderBarChart({
    title: 'Latency percentiles by configuration (lower is better)',
    yLabel: 'µs (log scale)',
    logScale: true,
    legendColumns: percentiles.length,
    categories: outcomes.map((o) => o.scenario.id),
    series: measuredKinds(outcomes).flatMap((kind) =>
      percentiles.map((p) => ({
        name: `${SERVER_LABEL[kind]} ${p.name}`,
        color: p.shade[kind],
        values: outcomes.map((o) => p.pick(kind, o) ?? null),
      })),
    ),
  });
}

/** The kinds with at least one result, so a run without Redis draws no empty series. */
function measuredKinds(outcomes: ScenarioOutcome[]): ServerKind[] {
  return SERVER_KINDS.filter((kind) => outcomes.some((o) => o.results[kind] !== undefined));
}

function shardChart(outcomes: ScenarioOutcome[]): string {
  const shards = outcomes.filter((o) => o.scenario.group === 'shards');
  const redis = outcomes.find((o) => o.scenario.id === 'p16')?.results.redis?.opsPerSec;
  return renderBarChart({
    title: 'Haus throughput by shard count, P=16, 50 connections',
    yLabel: 'ops/s',
    categories: shards.map((o) => `${o.scenario.hausShards} shard(s)`),
    series: [
      {
        name: 'Haus',
        color: COLOR.haus,
        values: shards.map((o) => o.results.haus?.opsPerSec ?? null),
      },
    ],
    references:
      redis === undefined ? [] : [{ label: 'Redis, P=16', value: redis, color: COLOR.redis }],
  });
}
