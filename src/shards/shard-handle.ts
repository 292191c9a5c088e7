/**
 * The main thread's handle on one shard: a piscina pool of exactly one thread (so the thread
 * that owns the shard's Map is the only one that ever sees its keys), the MessagePort batches
 * travel on, and the batch being gathered.
 *
 * No thread hop per command: operations are gathered during one event-loop turn and sent as
 * one message per shard (FINDINGS.md: a piscina `run()` per command caps the server near 25k
 * ops/s). Batches are written into shared slots (batch-slots.ts) and announced over a
 * MessagePort handed to the thread at start, not as piscina tasks: at the small batches of P=1
 * traffic, piscina's per-task bookkeeping on both threads cost about as much as the work
 * (bench/run.ts, P=1 and the transaction mix). Piscina still starts,
 * supervises and restarts the thread. At most `shardBatchesInFlightMax` batches are in flight;
 * meanwhile the next batch grows, so batches get larger exactly when the shard is busy. A port
 * delivers in order, so operations reach the shard in the order the main thread queued them.
 *
 * When the thread dies (a crash, a V8 heap limit), every operation of its unanswered batches
 * gets an error, piscina starts a new, empty thread, a new port is handed to it, and batches
 * queued meanwhile go to it.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import {
  batchReplyBytesMax,
  batchRequestBytesMax,
  riderRowWaitMsMax,
  shardBatchesInFlightMax,
  shardYoungGenerationMbMax,
} from '../config/bounds.js';
import type { EvictionPolicy } from '../config/eviction-policies.js';
import type { SnapshotFromShard, SnapshotToShard } from '../persistence/snapshot-messages.js';
import { messages } from '../protocol/messages.js';
import { BatchBuilder, type OpSink } from './batch-builder.js';
import {
  BatchSlot,
  type ReplyNotice,
  type ReplyView,
  readReplies,
  type ShardDataReport,
  type SlotNotice,
  seqOf,
  slotBytesInitial,
  slotIndexOf,
} from './batch-slots.js';
import type { OpCode, ShardAttachRequest, ShardWorkerData } from './shard-messages.js';

const workerFile = new URL('../../workers/shard-worker.js', import.meta.url).href;

export interface ShardHandleOptions {
  shardIndex: number;
  /** V8 old-space limit of the shard thread, so it cannot outgrow the data memory limit. */
  heapMbMax: number;
  /** Longest value a command may build in the shard (--max-line-bytes). */
  valueBytesMax: number;
  /** --eviction-policy (default noeviction). */
  evictionPolicy?: EvictionPolicy;
  logger: Logger;
}

/** Follows the data a shard holds, batch by batch, and decides what it evicts
 * (src/coordinator/eviction-budget.ts). */
export interface ShardMeter {
  /** A batch carrying `writeBytes` of keys and values goes to the shard now; returns the bytes
   * of data it is to evict before running it. */
  sending(shard: number, writeBytes: number): number;
  /** The shard answered that batch: what it holds now. */
  answered(shard: number, data: ShardDataReport, writeBytes: number, evictBytes: number): void;
  /** The batch was lost with the shard's thread (which restarts empty). */
  lost(shard: number, writeBytes: number, evictBytes: number): void;
}

interface BatchInFlight {
  seq: number;
  sinks: Array<OpSink | null>;
  largestValueBytes: number;
  writeBytes: number;
  evictBytes: number;
}

export class ShardHandle {
  readonly index: number;
  /** Gathers this turn's operations; the coordinator adds to it directly. */
  private open = new BatchBuilder();
  /** Batches closed before their turn to go (batchFor), oldest first; sent before `open`. */
  private readonly closed: BatchBuilder[] = [];
  private failures = 0;
  /** The shard's bound on its largest value, from its last answer. */
  private reportedLargestValue = 0;
  private readonly pool: Piscina<ShardAttachRequest, 'attached'>;
  private readonly logger: Logger;
  /** The port to the live thread; null while a new thread is being attached. */
  private port: MessagePort | null = null;
  /** Shared with the live thread; new ones for each thread. */
  private requestSlots: BatchSlot[] = [];
  private replySlots: BatchSlot[] = [];
  private readonly inFlight: BatchInFlight[] = [];
  private nextSeq = 1;
  private flushScheduled = false;
  /** Set when rows that only ride along (addRider) have waited long enough. */
  private ridersDue = false;
  private riderTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly idleWaiters: Array<() => void> = [];
  /** Set by the coordinator when the server may evict; told of every batch. */
  meter: ShardMeter | null = null;
  /** Receives what the shard sends on its snapshot port (src/persistence/), and
   * `shard-lost` when the thread dies. */
  onSnapshotMessage: ((message: SnapshotFromShard) => void) | null = null;
  private snapshotPort: MessagePort | null = null;
  /** A batch should go even with nothing in it, so the shard can evict (requestEviction). */
  private evictionDue = false;

  constructor(options: ShardHandleOptions) {
    this.index = options.shardIndex;
    this.logger = options.logger;
    const workerData: ShardWorkerData = {
      shardIndex: options.shardIndex,
      evictionPolicy: options.evictionPolicy ?? 'noeviction',
      valueBytesMax: options.valueBytesMax,
    };
    this.pool = new Piscina({
      filename: workerFile,
      name: 'default',
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      // 'sync' would park the thread in Atomics.wait, where a port never delivers (FINDINGS.md).
      atomics: 'disabled',
      recordTiming: false,
      workerHistogram: false,
      resourceLimits: {
        maxOldGenerationSizeMb: options.heapMbMax,
        maxYoungGenerationSizeMb: shardYoungGenerationMbMax,
      },
      workerData,
    });
    this.pool.on('workerDestroy', () => this.onThreadLost());
    // An uncaught error in a thread with no task running is reported here; the thread is
    // then destroyed, which onThreadLost handles.
    this.pool.on('error', (error: Error) => {
      this.logger.error({ shard: this.index, err: error }, 'shard thread error');
    });
  }

  /** How often the thread died and was replaced (empty): WATCH counts it as a change. */
  get failureCount(): number {
    return this.failures;
  }

  /** Batches sent to the shard since start (INFO's Shards section). */
  get batchesSent(): number {
    return this.nextSeq - 1;
  }

  /** Starts the thread and hands it its port. */
  async start(): Promise<void> {
    await this.attach();
  }

  /** The batch being gathered: operations added to it run after every one added before. */
  get batch(): BatchBuilder {
    return this.open;
  }

  /** The batch an operation carrying `requestBytes` of keys and values, whose reply may take
   * `replyBytes` (a GET's bound), joins: the open one, or a new one when the open one would
   * pass `batchRequestBytesMax` or `batchReplyBytesMax` with it (order is kept: the closed
   * batch goes first). */
  batchFor(requestBytes: number, replyBytes: number): BatchBuilder {
    const open = this.open;
    // A batch of riders only (carrying no bytes) is not closed: it would wait for its timer
    // and hold up the batch behind it.
    if (
      open.isDue &&
      (open.requestBytes + requestBytes > batchRequestBytesMax ||
        open.replyBytesBound + replyBytes > batchReplyBytesMax)
    ) {
      this.closed.push(open);
      this.open = new BatchBuilder();
      this.logger.debug(
        {
          shard: this.index,
          requestBytes: open.requestBytes,
          replyBytesBound: open.replyBytesBound,
          queued: this.closed.length,
        },
        'shard batch closed at its byte bound',
      );
    }
    this.open.replyBytesBound += replyBytes;
    return this.open;
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

  /** Sends a batch soon, empty if nothing else goes, so the meter can have the shard evict:
   * a shard that gets no writes still gives its share when others fill the memory. */
  requestEviction(): void {
    this.evictionDue = true;
    this.scheduleFlush();
  }

  /** Adds a row nobody waits for (a commit's txForget): it goes with the next due batch, or
   * after `riderRowWaitMsMax` when none goes. */
  addRider(code: OpCode, a: number): void {
    this.open.addRiderOp(code, a);
    if (this.riderTimer !== null) return;
    this.riderTimer = setTimeout(() => {
      this.riderTimer = null;
      this.ridersDue = true;
      this.flush();
    }, riderRowWaitMsMax);
    this.riderTimer.unref();
  }

  /**
   * At least the size of the largest value a GET sent now could find on this shard: what the
   * shard last reported (which shrinks when big values are deleted) and every PUT still on its
   * way there (counted at their worst case, 6 bytes a byte, as JSON escaping could make them).
   */
  largestValueBytesBound(): number {
    let bound = Math.max(this.reportedLargestValue, this.open.largestValueBytes);
    for (const batch of this.closed) bound = Math.max(bound, batch.largestValueBytes);
    for (const batch of this.inFlight) bound = Math.max(bound, batch.largestValueBytes);
    return bound;
  }

  /** Resolves when nothing is queued or in flight (used by shutdown and tests). */
  whenIdle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    // Rows that ride along with the next batch (a commit's txForget) go now.
    this.ridersDue = true;
    this.scheduleFlush();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.riderTimer !== null) clearTimeout(this.riderTimer);
    this.port?.close();
    this.snapshotPort?.close();
    await this.pool.destroy();
  }

  /** Sends on the snapshot port; false while the thread is being replaced (its part is lost
   * with it, and `shard-lost` said so). */
  postSnapshot(message: SnapshotToShard): boolean {
    if (this.snapshotPort === null) return false;
    this.snapshotPort.postMessage(message);
    return true;
  }

  private async attach(): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const newSlots = () =>
      Array.from({ length: shardBatchesInFlightMax }, () => BatchSlot.ofAtLeast(slotBytesInitial));
    const requestSlots = newSlots();
    const replySlots = newSlots();
    const snapshotChannel = new MessageChannel();
    const request: ShardAttachRequest = {
      port: port2,
      requestSlots: requestSlots.map((slot) => slot.memory),
      replySlots: replySlots.map((slot) => slot.memory),
      snapshotPort: snapshotChannel.port2,
    };
    await this.pool.run(request, { transferList: [port2, snapshotChannel.port2] });
    if (this.closing) {
      // The server stopped while this thread was starting: nothing may keep the process up.
      port1.close();
      snapshotChannel.port1.close();
      return;
    }
    port1.on('message', (notice: ReplyNotice) => this.onResult(notice));
    snapshotChannel.port1.on('message', (message: SnapshotFromShard) => {
      this.onSnapshotMessage?.(message);
    });
    // Only the batch port keeps the process alive, as before snapshots.
    snapshotChannel.port1.unref();
    this.snapshotPort = snapshotChannel.port1;
    this.requestSlots = requestSlots;
    this.replySlots = replySlots;
    this.port = port1;
    this.flush();
  }

  /** Sends the next batch (closed ones first) while batches may be in flight. */
  private flush(): void {
    while (this.port !== null && this.inFlight.length < shardBatchesInFlightMax) {
      if (!this.sendNext(this.port)) return;
    }
  }

  /** Sends the oldest batch if it should go now; false when nothing went. */
  private sendNext(port: MessagePort): boolean {
    const batch = this.closed[0] ?? this.open;
    if (batch.isEmpty && !this.evictionDue) {
      this.ridersDue = false;
      return false;
    }
    if (!batch.isDue && !this.ridersDue && !this.evictionDue) return false;
    const seq = this.nextSeq;
    const largestValueBytes = batch.largestValueBytes;
    // The slot's previous batch was answered (at most as many in flight as there are slots).
    const slotIndex = slotIndexOf(seq, this.requestSlots.length);
    let slot = this.requestSlots[slotIndex] as BatchSlot;
    const bytesNeeded = batch.slotBytesNeeded;
    let notice: SlotNotice = seq;
    if (slot.unfitFor(bytesNeeded)) {
      slot = BatchSlot.ofAtLeast(bytesNeeded);
      this.requestSlots[slotIndex] = slot;
      notice = [seq, slot.memory];
    }
    // Numbered only once nothing can throw: consecutive numbers must never share a slot.
    this.nextSeq++;
    this.ridersDue = false;
    this.evictionDue = false;
    const writeBytes = batch.requestBytes;
    const evictBytes = this.meter?.sending(this.index, writeBytes) ?? 0;
    const sinks = batch.moveInto(slot, evictBytes);
    if (batch !== this.open) this.closed.shift();
    this.inFlight.push({ seq, sinks, largestValueBytes, writeBytes, evictBytes });
    port.postMessage(notice);
    return true;
  }

  private onResult(notice: ReplyNotice): void {
    const batch = this.inFlight[0];
    // A result of a thread already declared lost was failed already; ignore it.
    if (batch === undefined || batch.seq !== seqOf(notice)) return;
    this.inFlight.shift();
    const replies =
      typeof notice === 'number'
        ? readReplies(this.replySlotOf(notice), false)
        : readReplies(new BatchSlot(notice[1]), true);
    this.reportedLargestValue = replies.largestReplyBytes;
    this.meter?.answered(this.index, replies.data, batch.writeBytes, batch.evictBytes);
    deliver(replies, batch.sinks);
    this.flush();
    this.wakeIfIdle();
  }

  private get isIdle(): boolean {
    return this.inFlight.length === 0 && this.closed.length === 0 && this.open.isEmpty;
  }

  private replySlotOf(seq: number): BatchSlot {
    return this.replySlots[slotIndexOf(seq, this.replySlots.length)] as BatchSlot;
  }

  private onThreadLost(): void {
    if (this.closing) return;
    this.failures++;
    this.port?.close();
    this.port = null;
    this.snapshotPort?.close();
    this.snapshotPort = null;
    this.onSnapshotMessage?.({ kind: 'shard-lost' });
    this.reportedLargestValue = 0;
    this.logger.error(
      { shard: this.index, failures: this.failures, batchesLost: this.inFlight.length },
      'shard failed; restarted empty, its keys are lost (no persistence)',
    );
    const message = messages.shardFailed(this.index);
    for (const batch of this.inFlight.splice(0)) {
      this.meter?.lost(this.index, batch.writeBytes, batch.evictBytes);
      for (const sink of batch.sinks) sink?.reject(message);
    }
    // piscina starts the replacement thread right after this event; hand it a new port.
    setImmediate(() => {
      if (this.closing) return;
      this.attach().catch((error: unknown) => {
        // A stop right after the failure destroys the pool under the new thread: no fault.
        if (this.closing) return;
        this.logger.fatal({ shard: this.index, err: error }, 'shard could not be restarted');
        process.exit(1);
      });
    });
    this.wakeIfIdle();
  }

  private wakeIfIdle(): void {
    if (this.isIdle) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }
}

function deliver(replies: ReplyView, sinks: Array<OpSink | null>): void {
  const { ends, bytes } = replies;
  let start = 0;
  for (let i = 0; i < sinks.length; i++) {
    const end = ends[i] as number;
    sinks[i]?.resolve(bytes, start, end);
    start = end;
  }
}
