/**
 * What the suite runner needs from a client: fill a server's keyspace, then run one scenario
 * against it and say what it measured, server CPU per op included. Two clients implement it:
 * the bench's own Node client (node-client-driver.ts) and the C load generator
 * (loadgen/loadgen-driver.ts), which costs the shared cores far less CPU per request.
 */
import type { KeyspaceShape } from './keyspace.js';
import type { FillResult, LoadTarget, RunResult } from './load-generator.js';
import type { Scenario } from './scenarios.js';

export type ClientName = 'node' | 'loadgen';

export interface LoadDriver {
  readonly client: ClientName;
  fill(target: LoadTarget, keyspace: KeyspaceShape): Promise<FillResult>;
  /** `label` prefixes the progress lines on stderr (e.g. `haus p16 run 2`). */
  run(target: LoadTarget, scenario: Scenario, label: string): Promise<RunResult>;
}

/** How long each run is: the suite's `-d`/`-n` and `--warmup`, the same for both clients. */
export interface RunLength {
  durationS: number;
  /** Single ops (or transactions with --tx) per run instead of durationS; null: use durationS. */
  requests: number | null;
  warmupS: number;
  /** Client threads (Node worker_threads, or loadgen's -T). */
  threads: number;
}
