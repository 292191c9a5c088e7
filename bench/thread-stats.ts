/**
 * What one client thread counts: completed ops (one per reply) and their latencies, transactions, wrong replies and a few
 * examples of them. Counting is gated by `recording` so the warm-up before the measured window
 * does not count; progress counters (published through shared memory for the once-a-second
 * line) count everything, so a stall is visible even during warm-up.
 */
import type { Histogram } from 'hdr-histogram-js';
import { createLatencyHistogram } from './latency-histogram.js';

const ERROR_SAMPLES_MAX = 5;

export class ThreadStats {
  recording = true;
  ops = 0;
  /** Transactions whose last command got its right reply (COMMIT Ok, EXEC all OKs). */
  transactions = 0;
  errors = 0;
  readonly errorSamples: string[] = [];
  private histogram: Histogram = createLatencyHistogram();
  private completedTotal = 0;
  private errorsTotal = 0;

  /** `progress[slot]` gets this thread's op count, `progress[slot + 1]` its error count. */
  constructor(
    private readonly progress: Float64Array,
    private readonly slot: number,
  ) {}

  recordOp(latencyMs: number): void {
    this.completedTotal += 1;
    this.progress[this.slot] = this.completedTotal;
    if (!this.recording) return;
    this.ops += 1;
    const latencyUs = Math.round(latencyMs * 1000);
    this.histogram.recordValue(Math.max(latencyUs, 1));
  }

  recordTransaction(): void {
    if (this.recording) this.transactions += 1;
  }

  /** `describe` is only called for the first few errors, so the hot path never formats text. */
  recordError(describe: () => string): void {
    this.errorsTotal += 1;
    this.progress[this.slot + 1] = this.errorsTotal;
    if (!this.recording) return;
    this.errors += 1;
    if (this.errorSamples.length < ERROR_SAMPLES_MAX) this.errorSamples.push(describe());
  }

  /** Starts the measured window: everything counted so far was warm-up. */
  reset(): void {
    this.recording = true;
    this.ops = 0;
    this.transactions = 0;
    this.errors = 0;
    this.errorSamples.length = 0;
    this.histogram = createLatencyHistogram();
  }

  latencies(): Histogram {
    return this.histogram;
  }
}
