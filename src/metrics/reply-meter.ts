/**
 * Times each command from its parse to its reply being ready, and counts error replies by
 * kind: the per-command part of /metrics, on the main thread's hot path, so it costs an
 * increment or two per reply and nothing else (SPEC.md section 11: at most 3 % of P=16
 * throughput; bench/run.ts --single -P 16 against a server with and without --metrics-port).
 *
 * - The clock is read once per event-loop turn, not per command: the first reading of a turn
 *   is kept until the turn's microtasks run. Every command parsed from one socket read starts
 *   at the same instant, every reply filled from one shard answer is ready at the same
 *   instant; a turn is tens of microseconds, the smallest bucket 50.
 * - Replies are gathered in batches: consecutive replies with the same start (a pipelined
 *   burst answered by one shard batch) are counted as a run and enter the histogram together,
 *   at the end of the turn or when the start changes.
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
  /** This turn's clock reading, -1 before the first reading of a turn. */
  private turnMs = -1;
  /** The run of replies not yet in a histogram: how many, their commands' start, and their
   * histogram. */
  private runCount = 0;
  private runSinceMs = -1;
  private runHistogram: LatencyHistogram | null = null;
  private readonly endTurn = () => {
    this.flushRun();
    this.turnMs = -1;
  };

  now(): number {
    if (this.turnMs < 0) {
      this.turnMs = performance.now();
      queueMicrotask(this.endTurn);
    }
    return this.turnMs;
  }

  ready(bytes: Uint8Array, start: number, sinceMs: number): void {
    const first = bytes[start];
    const isLine = first === openBrace;
    if (first === minus) {
      this.countError(1, respErrorKind(bytes, start));
    } else if (isLine && bytes[start + lineStatusOffset] === capitalE) {
      this.countError(0, lineErrorKind(bytes, start));
    }
    const histogram = this.latency[isLine ? 0 : 1] as LatencyHistogram;
    if (sinceMs === this.runSinceMs && histogram === this.runHistogram) {
      this.runCount++;
      return;
    }
    this.flushRun();
    // Reads the clock if this turn has not yet, so the run ends with the turn.
    this.now();
    this.runCount = 1;
    this.runSinceMs = sinceMs;
    this.runHistogram = histogram;
  }

  /** Puts the current run into its histogram (before the turn's clock reading is dropped). */
  private flushRun(): void {
    if (this.runCount === 0) return;
    (this.runHistogram as LatencyHistogram).add(this.turnMs - this.runSinceMs, this.runCount);
    this.runCount = 0;
    this.runSinceMs = -1;
    this.runHistogram = null;
  }

  private countError(protocol: number, kind: number): void {
    (this.errors[protocol * errorKinds.length + kind] as number)++;
  }
}
