/**
 * Times each command from its parse to its reply being ready, and counts error replies by
 * kind: the per-command part of /metrics, on the main thread's hot path, so it costs a few
 * compares and an increment per reply (SPEC.md section 11: at most 3 % of P=16 throughput;
 * bench/run.ts --single -P 16 against a server with and without --metrics-port).
 *
 * - The clock is read once per event-loop iteration, not per command: the first reading in an
 *   iteration is kept until the iteration's check phase (setImmediate). Every command parsed
 *   and every reply filled in one iteration shares that reading, so a latency is measured to
 *   the iteration: exact when the server is idle, within one iteration's length under load
 *   (when a client waits that long anyway). One reading per callback instead, expired with
 *   queueMicrotask, cost three times as much on the main thread: Node wraps each microtask in
 *   an async resource.
 * - Replies are gathered in batches: consecutive replies of one protocol whose commands share
 *   a start form a run, which enters the histogram as one addition at the end of the
 *   iteration or when the start changes (a pipelined burst answered by one shard batch).
 * - The protocol is read off the reply's first byte (`{` for the line protocol, a RESP type
 *   byte otherwise), and so is an error (`-`, or the line protocol's `"Error"`); only error
 *   replies are read further (error-kinds.ts).
 *
 * Attached to a connection's reply queue only with --metrics-port: without it the queue skips
 * all of this on one null check.
 */
import type { ReplyMeterHook } from '../net/reply-queue.js';
import { errorKinds, lineErrorKind, respErrorKind } from './error-kinds.js';
import { LatencyHistogram } from './latency-histogram.js';

export const meteredProtocols = ['line', 'resp'] as const;
export type MeteredProtocol = (typeof meteredProtocols)[number];

const openBrace = 0x7b;
const minus = 0x2d;
/** Offset of the `E` of `{"status": "Error"` (an Ok reply has `O` there). */
const lineStatusOffset = 12;
const capitalE = 0x45;

export class ReplyMeter implements ReplyMeterHook {
  /** Command latency by protocol, in meteredProtocols' order. */
  readonly latency: readonly LatencyHistogram[] = meteredProtocols.map(
    () => new LatencyHistogram(),
  );
  /** Error replies: `errors[protocol * errorKinds.length + kind]`. */
  readonly errors = new Float64Array(meteredProtocols.length * errorKinds.length);
  /** This iteration's clock reading, -1 before the first reading of an iteration. */
  private iterationMs = -1;
  /** By protocol: the run of replies not yet in its histogram, how many and their commands'
   * start (-1: no run). */
  private readonly runCounts = new Float64Array(meteredProtocols.length);
  private readonly runSinceMs = new Float64Array(meteredProtocols.length).fill(-1);
  private readonly endIteration = () => {
    for (let protocol = 0; protocol < meteredProtocols.length; protocol++) {
      this.flushRun(protocol);
    }
    this.iterationMs = -1;
  };

  now(): number {
    if (this.iterationMs < 0) {
      this.iterationMs = performance.now();
      setImmediate(this.endIteration);
    }
    return this.iterationMs;
  }

  ready(bytes: Uint8Array, start: number, sinceMs: number): void {
    const first = bytes[start];
    let protocol = 1;
    if (first === openBrace) {
      protocol = 0;
      if (bytes[start + lineStatusOffset] === capitalE) {
        this.countError(0, lineErrorKind(bytes, start));
      }
    } else if (first === minus) {
      this.countError(1, respErrorKind(bytes, start));
    }
    if (sinceMs !== this.runSinceMs[protocol]) {
      this.flushRun(protocol);
      // Reads the clock if this iteration has not yet, so the run ends with the iteration.
      this.now();
      this.runSinceMs[protocol] = sinceMs;
    }
    (this.runCounts[protocol] as number)++;
  }

  /** Puts a protocol's run into its histogram (before the iteration's reading is dropped). */
  private flushRun(protocol: number): void {
    const count = this.runCounts[protocol] as number;
    if (count > 0) {
      const latencyMs = this.iterationMs - (this.runSinceMs[protocol] as number);
      (this.latency[protocol] as LatencyHistogram).add(latencyMs, count);
    }
    this.runCounts[protocol] = 0;
    this.runSinceMs[protocol] = -1;
  }

  private countError(protocol: number, kind: number): void {
    (this.errors[protocol * errorKinds.length + kind] as number)++;
  }
}
