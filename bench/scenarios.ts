/**
 * The configurations each suite measures. The quick suite is the headline: 50
 * connections, 9:1 GET:PUT, 100k keys of 16 bytes, 32-byte values, at P=1 and P=16, a 1:1
 * mix, transactions of 4 PUTs both interactive (one command in flight: each reply before the
 * next command) and pipelined (the whole transaction in flight), and one client alone doing
 * GETs for latency. Every shape has a C load generator equivalent (loadgen-args.ts), so
 * `--loadgen` measures the same rows. The full suite adds one sweep per question (how shards
 * scale, how value size and keyspace size matter, how 1,000 connections behave) and measures
 * memory per key at 1M keys. Each sweep changes one thing from the headline so its effect
 * reads directly. Shard scaling and memory are questions about the store behind the doors, so
 * they ask them of the line protocol alone.
 */
import { availableParallelism } from 'node:os';
import type { BenchArgs } from './args.js';
import type { KeyspaceShape } from './keyspace.js';
import { SERVER_KINDS, type ServerKind } from './servers.js';

export type ScenarioGroup = 'headline' | 'shards' | 'values' | 'keyspace' | 'connections';

export interface LoadShape {
  connections: number;
  /** Commands in flight per connection; a transaction's START, PUTs, COMMIT count one each. */
  pipeline: number;
  getRatio: number;
  /** PUTs per transaction; 0 = single GETs and PUTs. */
  txWrites: number;
}

export interface Scenario {
  /** Stable name used in results and target checks, e.g. `p16` or `shards-2`. */
  id: string;
  group: ScenarioGroup;
  label: string;
  servers: readonly ServerKind[];
  hausShards: number;
  keyspace: KeyspaceShape;
  load: LoadShape;
  /** Record server memory growth over the fill (only worth it for big keyspaces). */
  measureMemory: boolean;
}

const ALL: readonly ServerKind[] = SERVER_KINDS;
const LINE_AND_REDIS: readonly ServerKind[] = ['haus', 'redis'];
const HEADLINE_LOAD: LoadShape = { connections: 50, pipeline: 1, getRatio: 0.9, txWrites: 0 };
const TX_WRITES = 4;
/** Large values get fewer keys so the data stays near 128 MiB whatever the value size. */
const DATA_BYTES_TARGET = 128 * 1024 * 1024;

export function quickScenarios(args: BenchArgs): Scenario[] {
  const keyspace = { keys: 100_000, keyBytes: args.keyBytes, valueBytes: 32 };
  const base = {
    group: 'headline' as const,
    servers: ALL,
    hausShards: args.shards,
    keyspace,
    measureMemory: false,
  };
  const tx = { ...HEADLINE_LOAD, txWrites: TX_WRITES };
  return [
    { ...base, id: 'p1', label: 'P=1, 50 conns, 9:1', load: HEADLINE_LOAD },
    { ...base, id: 'p16', label: 'P=16, 50 conns, 9:1', load: { ...HEADLINE_LOAD, pipeline: 16 } },
    { ...base, id: 'rw1', label: 'P=1, 50 conns, 1:1', load: { ...HEADLINE_LOAD, getRatio: 0.5 } },
    { ...base, id: 'txi4', label: 'tx K=4 interactive, P=1, 50 conns', load: tx },
    {
      ...base,
      id: 'tx4',
      label: 'tx K=4 pipelined, P=6, 50 conns',
      load: { ...tx, pipeline: TX_WRITES + 2 },
    },
    {
      ...base,
      id: 'lat1',
      label: '1 conn, P=1, GETs',
      load: { ...HEADLINE_LOAD, connections: 1, getRatio: 1 },
    },
  ];
}

export function fullScenarios(args: BenchArgs): Scenario[] {
  const headline = quickScenarios(args);
  const p16 = headline.find((scenario) => scenario.id === 'p16');
  if (p16 === undefined) throw new Error('quick suite lost its p16 scenario');
  const shardCounts = [...new Set([1, 2, 4, availableParallelism()])].sort((a, b) => a - b);
  const shards = shardCounts.map(
    (count): Scenario => ({
      ...p16,
      id: `shards-${count}`,
      group: 'shards',
      label: `P=16, ${count} shard(s)`,
      servers: ['haus'],
      hausShards: count,
    }),
  );
  const values = [1024, 64 * 1024].map(
    (valueBytes): Scenario => ({
      ...p16,
      id: `value-${valueBytes}`,
      group: 'values',
      label: `P=16, ${valueBytes} B values`,
      keyspace: {
        ...p16.keyspace,
        valueBytes,
        keys: Math.min(100_000, Math.floor(DATA_BYTES_TARGET / valueBytes)),
      },
    }),
  );
  const million: Scenario = {
    ...p16,
    id: 'keys-1m',
    group: 'keyspace',
    label: 'P=16, 1M keys',
    keyspace: { ...p16.keyspace, keys: 1_000_000 },
    servers: LINE_AND_REDIS,
    measureMemory: true,
  };
  const crowd: Scenario = {
    ...p16,
    id: 'conns-1000',
    group: 'connections',
    label: 'P=1, 1000 conns',
    load: { ...HEADLINE_LOAD, connections: 1000 },
  };
  return [...headline, ...shards, ...values, million, crowd];
}

/** One configuration built from the load flags (`--single`). */
export function singleScenario(args: BenchArgs): Scenario {
  const load = {
    connections: args.connections,
    pipeline: args.pipeline,
    getRatio: args.getRatio,
    txWrites: args.txWrites,
  };
  const shape = args.txWrites > 0 ? `tx K=${args.txWrites}` : `${args.getRatio} GET`;
  return {
    id: 'single',
    group: 'headline',
    label: `P=${args.pipeline}, ${args.connections} conns, ${shape}`,
    servers: args.servers,
    hausShards: args.shards,
    keyspace: { keys: args.keys, keyBytes: args.keyBytes, valueBytes: args.valueBytes },
    load,
    measureMemory: args.keys >= 1_000_000,
  };
}
