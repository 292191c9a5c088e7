/**
 * The C load generator's command line (../shared/loadgen, run from the path given with
 * `--loadgen`) for a bench load shape. Both clients count depth the same way, so the map is
 * one to one: `-P` is commands in flight, and `--txn K` at `-P 1` is the interactive
 * transaction, at `-P K+2` the pipelined one. loadgen's keys are always 16 bytes
 * (`key:%012d`) and it fills its own keyspace (`--preload`), since its key names are not the
 * Node client's.
 */
import type { KeyspaceShape } from '../keyspace.js';
import type { ProtocolName } from '../protocols/codec.js';
import type { LoadShape } from '../scenarios.js';

/** loadgen's fixed key length: the bench refuses other --key-bytes with --loadgen. */
export const LOADGEN_KEY_BYTES = 16;
/** Fill connections and depth: as the Node client's fill, quick and far from any limit. */
const PRELOAD_CONNECTIONS = 8;
const PRELOAD_DEPTH = 64;

export interface LoadgenTarget {
  port: number;
  protocol: ProtocolName;
}

/** `--preload -d 0`: writes every key once and exits without a timed run (and no output). */
export function preloadArgs(target: LoadgenTarget, keyspace: KeyspaceShape): string[] {
  return [
    ...targetArgs(target),
    ...keyspaceArgs(keyspace),
    '-c',
    String(PRELOAD_CONNECTIONS),
    '--preload',
    '--preload-depth',
    String(PRELOAD_DEPTH),
    '-d',
    '0',
    '-q',
  ];
}

/** One timed (or counted) run of `load`; `--check` validates every reply as the bench does. */
export function runArgs(options: {
  target: LoadgenTarget;
  keyspace: KeyspaceShape;
  load: LoadShape;
  threads: number;
  length: { durationS: number } | { requests: number };
}): string[] {
  const { load } = options;
  const length =
    'durationS' in options.length
      ? ['-d', String(options.length.durationS)]
      : ['-n', String(options.length.requests)];
  return [
    ...targetArgs(options.target),
    ...keyspaceArgs(options.keyspace),
    '-c',
    String(load.connections),
    '-P',
    String(load.pipeline),
    '-T',
    String(Math.min(options.threads, load.connections)),
    ...length,
    ...(load.txWrites > 0 ? ['--txn', String(load.txWrites)] : ['--ratio', ratio(load.getRatio)]),
    '--check',
    '-q',
  ];
}

/** A GET share as loadgen's `G:P` in lowest terms: 0.9 -> 9:1, 0.5 -> 1:1, 1 -> 1:0. */
export function ratio(getRatio: number): string {
  const gets = Math.round(getRatio * 1000);
  const puts = 1000 - gets;
  const divisor = gcd(gets, puts);
  return `${gets / divisor}:${puts / divisor}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function targetArgs(target: LoadgenTarget): string[] {
  return ['--port', String(target.port), '--proto', target.protocol];
}

function keyspaceArgs(keyspace: KeyspaceShape): string[] {
  return ['--keys', String(keyspace.keys), '--value-size', String(keyspace.valueBytes)];
}
