/**
 * The main thread's handle on one shard: a piscina pool of exactly one thread (so the thread
 * that owns the shard's Map is the only one that ever sees its keys) and the batch being
 * gathered for it.
 *
 * No thread hop per command: operations are gathered during one event-loop turn and sent as
 * one piscina task per shard (FINDINGS.md: a `run()` per command caps the server near 25k
 * ops/s). At most `shardBatchesInFlightMax` batches are in flight; meanwhile the next batch
 * grows, so batches get larger exactly when the shard is busy. Batches are sent and answered in
 * order, so operations reach the shard in the order the main thread queued them.
 *
 * When the thread dies (a crash, a V8 heap limit), every operation of its unanswered batches
 * gets an error, piscina starts a new, empty thread, and batches after that go to it.
 */

import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import { shardBatchesInFlightMax } from '../config/bounds.js';
import { messages } from '../protocol/messages.js';
import { BatchBuilder, type OpSink } from './batch-builder.js';
import type { ShardBatchRequest, ShardBatchResult, ShardWorkerData } from './shard-messages.js';

const workerFile = new URL('../../workers/shard-worker.js', import.meta.url).href;

export interface ShardHandleOptions {
  shardIndex: number;
  /** V8 old-space limit of the shard thread, so it cannot outgrow the data memory limit. */
  heapMbMax: number;
  logger: Logger;
}

export class ShardHandle {
  readonly index: number;
  /** Gathers this turn's operations; the coordinator adds to it directly. */
  readonly batch = new BatchBuilder();
  failures = 0;
  private readonly pool: Piscina<ShardBatchRequest, ShardBatchResult>;
  private readonly logger: Logger;
  private batchesInFlight = 0;
  /** piscina rejects every unanswered batch of a dead thread with the same error: log once. */
  private lastFailure: unknown = null;
  private flushScheduled = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(options: ShardHandleOptions) {
    this.index = options.shardIndex;
    this.logger = options.logger;
    const workerData: ShardWorkerData = { shardIndex: options.shardIndex };
    this.pool = new Piscina({
      filename: workerFile,
      name: 'default',
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Batches run synchronously in the thread, in arrival order; two in flight overlap the
      // hop of one with the work of the other.
      concurrentTasksPerWorker: shardBatchesInFlightMax,
      // 'sync' would park the thread in Atomics.wait between tasks (FINDINGS.md).
      atomics: 'disabled',
      recordTiming: false,
      workerHistogram: false,
      maxQueue: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: options.heapMbMax },
      workerData,
    });
    // A thread that dies with no batch in flight is reported here rather than through a task.
    this.pool.on('error', (error: Error) => this.onFailure(error));
  }

  /** Waits until the thread has loaded its module, so the first batches run in order. */
  async start(): Promise<void> {
    await this.send(new BatchBuilder());
  }

  /** Called after operations were added to `batch`: sends it at the end of this turn. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Resolves when nothing is queued or in flight (used by shutdown and tests). */
  whenIdle(): Promise<void> {
    if (this.batchesInFlight === 0 && this.batch.isEmpty) return Promise.resolve();
    // Rows that ride along with the next batch (a commit's txForget) must not wait forever.
    this.scheduleFlush();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private flush(): void {
    if (this.batch.isEmpty || this.batchesInFlight >= shardBatchesInFlightMax) return;
    void this.send(this.batch);
  }

  private async send(builder: BatchBuilder): Promise<void> {
    const { request, sinks } = builder.take();
    this.batchesInFlight++;
    try {
      const result = await this.pool.run(request, {
        // Both arrays were made for this batch (BatchBuilder.take), never shared.
        transferList: [request.ops.buffer as ArrayBuffer, request.bytes.buffer as ArrayBuffer],
      });
      deliver(result, sinks);
    } catch (error) {
      if (error !== this.lastFailure) this.onFailure(error as Error);
      const message = messages.shardFailed(this.index);
      for (const sink of sinks) sink?.reject(message);
    } finally {
      this.batchesInFlight--;
      this.flush();
      if (this.batchesInFlight === 0 && this.batch.isEmpty) {
        for (const wake of this.idleWaiters.splice(0)) wake();
      }
    }
  }

  private onFailure(error: Error): void {
    this.lastFailure = error;
    this.failures++;
    this.logger.error(
      { shard: this.index, err: error, failures: this.failures },
      'shard failed; restarted empty, its keys are lost (no persistence)',
    );
  }
}

function deliver(result: ShardBatchResult, sinks: Array<OpSink | null>): void {
  const { ends, bytes } = result;
  let start = 0;
  for (let i = 0; i < sinks.length; i++) {
    const end = ends[i] as number;
    sinks[i]?.resolve(bytes.subarray(start, end));
    start = end;
  }
}
