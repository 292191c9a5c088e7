/**
 * Everything that crosses between the load generator (main thread) and a client thread, typed
 * once here and imported by both sides. A client thread owns its connections; the main thread
 * only tells it which phase to run and collects what it counted.
 */
import type { KeyspaceShape } from './keyspace.js';
import type { ProtocolName } from './protocols/codec.js';

export interface ClientThreadConfig {
  threadIndex: number;
  host: string;
  port: number;
  protocol: ProtocolName;
  /** AUTH with it before anything else; null: none. */
  password: string | null;
  connections: number;
  keyspace: KeyspaceShape;
  /** Deepest pipeline (commands in flight) any phase will ask for, to size queues once. */
  pipelineMax: number;
  /** PUTs per transaction; 0 = single GETs and PUTs. */
  txWrites: number;
  /** Float64Array view: [ops, errors] per thread, for the once-a-second progress line. */
  progress: SharedArrayBuffer;
}

export interface FillRequest {
  type: 'fill';
  /** This thread's connections write keys first, first + stride, ... below end. */
  first: number;
  stride: number;
  end: number;
  pipeline: number;
}

export interface RunRequest {
  type: 'run';
  pipeline: number;
  getRatio: number;
  /** Units (single ops, or transactions with --tx) for this thread, or null: until 'stop'. */
  unitsQuota: number | null;
  /** Count from the start (true) or only after 'measure' (false: warm-up first). */
  recordFromStart: boolean;
}

export type MainToClientMessage =
  | FillRequest
  | RunRequest
  | { type: 'measure' }
  | { type: 'stop' }
  | { type: 'close' };

export interface ThreadResult {
  /** Replies in the measured window: every command is an op, in a transaction too. */
  ops: number;
  transactions: number;
  errors: number;
  errorSamples: string[];
  /** HdrHistogram compressed base64 of latencies in microseconds. */
  histogram: string;
}

export type ClientToMainMessage =
  | { type: 'ready' }
  | { type: 'filled'; result: ThreadResult }
  | { type: 'result'; result: ThreadResult }
  | { type: 'failed'; message: string };
