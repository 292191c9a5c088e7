/**
 * One shard's part of a snapshot (SPEC.md section 9), made while the shard keeps serving: no
 * pause of the shard and no copy of its data, the way Dragonfly snapshots (its
 * `src/server/snapshot.cc`: serialize bucket by bucket, and serialize a bucket first when a
 * write is about to change it).
 *
 * The store keeps its keys in dense slots (shard-store.ts), and that is what this walks: a
 * cursor goes up the slots that existed at the snapshot's moment, a bounded slice at a time
 * between batches. Everything hangs on one invariant:
 *
 *   the slots [next, end) hold exactly the keys of the snapshot's moment that are not written
 *   yet, each unchanged since that moment.
 *
 * Slots below `next` are written (or were created later); slots from `end` up were created
 * later. So "is this key written yet?" is a comparison, with no per-key memory. The store
 * calls in before it changes a key (the hooks below), and each hook keeps the invariant:
 * - a key about to change in place that is still pending is written first, then swapped down to
 *   `next`, which moves past it;
 * - a key about to be removed likewise; and since a removal moves the last slot's key into the
 *   freed slot, a pending key that would move out of [next, end) is written first too;
 * - new keys go to the end, at or past `end`, where the walk never looks;
 * - FLUSHALL writes everything still pending first.
 * Each key of the moment is thus written exactly once (Redis refuses a file holding a key
 * twice), either by the walk or by the hook that was about to change it.
 *
 * Memory: the encoder's open chunk, and the chunks not yet written by the main thread (at most
 * `snapshotChunksInFlightMax` handed over, plus whatever the hooks write meanwhile: bounded by
 * the writes clients make while the disk is slower than they are). Chunks cross to the main
 * thread transferred, not copied. The main thread never serializes: it appends the chunks and
 * combines their CRCs.
 */
import { performance } from 'node:perf_hooks';
import type { MessagePort } from 'node:worker_threads';
import {
  type ShardSnapshotReport,
  type SnapshotFromShard,
  type SnapshotToShard,
  snapshotChunksInFlightMax,
} from '../src/persistence/snapshot-messages.js';
import { crc64Combine } from './rdb/crc64-combine.js';
import { rdbChunkBytesDefault } from './rdb/rdb-format.js';
import { RdbEntryEncoder } from './rdb/rdb-writer.js';
import type { RespOut } from './resp-out.js';

/** What a snapshot needs of the store: its slots, and a way to reorder two of them. */
export interface SnapshotSource {
  readonly size: number;
  keyAt(slot: number): string;
  valueAt(slot: number): string;
  /** 0 when the key has no expiry. */
  expireAtOfSlot(slot: number): number;
  swapSlots(a: number, b: number): void;
}

export interface ShardSnapshotOptions {
  snapshotId: number;
  source: SnapshotSource;
  /** The store's clock at the snapshot's moment: keys that expired by then are left out. */
  momentMs: number;
  post: (message: SnapshotFromShard, transfer: ArrayBuffer[]) => void;
  /** Called once no more hook is needed (every key of the moment is written, or aborted). */
  detach: () => void;
}

/**
 * A slice of the walk takes as long as the shard spent on other work (batches) since the last
 * one, so a busy shard gives the snapshot at most about half its time, and an idle one gives it
 * the full `sliceMsMax` at once; never less than `sliceMsMin`, so a snapshot always ends. A
 * batch waits for at most one slice. (Measured with bench/snapshot/: a quarter share instead of
 * a half cost P=16 traffic as much, on 2 cores the CPU a snapshot takes is what it costs, so
 * the larger share finishes sooner and holds early-written keys for less time.)
 */
const sliceMsMax = 2;
const sliceMsMin = 0.1;
/** A gap between slices shorter than this means nothing else ran: the shard is idle. */
const idleGapMs = 0.05;
/** Slots written between two looks at the clock. */
const slotsPerClockLook = 64;
/** Hand chunks over once about this many bytes are ready; the encoder's chunks are this big. */
const chunkBytes = rdbChunkBytesDefault;
/** What an entry costs besides its key and value bytes, at most (expiry, type, lengths). */
const entryFramingBytesMax = 24;

export class ShardSnapshot {
  readonly id: number;
  private readonly source: SnapshotSource;
  private readonly momentMs: number;
  private readonly post: ShardSnapshotOptions['post'];
  private readonly detach: () => void;
  /** The pending slots are [next, end). */
  private next = 0;
  private end: number;
  private readonly encoder = new RdbEntryEncoder({ chunkBytes });
  /** Bytes added to the encoder since chunks were last handed over (an upper bound). */
  private unsentBytes = 0;
  /** CRC and length of everything handed over so far, to derive each hand-over's own CRC. */
  private sentCrc = 0n;
  private sentBytes = 0;
  private writtenBytes = 0;
  private inFlight = 0;
  private readonly inFlightBytes: number[] = [];
  private phase: 'walking' | 'draining' | 'done' | 'aborted' = 'walking';
  private sliceScheduled = false;
  private lastSliceEnd = 0;
  private readonly startedAt = performance.now();
  private readonly report: ShardSnapshotReport = {
    keys: 0,
    keysWrittenEarly: 0,
    keysExpired: 0,
    bytes: 0,
    bufferedBytesMax: 0,
    elapsedMs: 0,
  };

  constructor(options: ShardSnapshotOptions) {
    this.id = options.snapshotId;
    this.source = options.source;
    this.momentMs = options.momentMs;
    this.post = options.post;
    this.detach = options.detach;
    this.end = options.source.size;
    this.scheduleSlice();
  }

  /** Before the key in `slot` changes in place (a value or an expiry): returns its slot after
   * the hook (it may have moved). */
  beforeChange(slot: number): number {
    if (slot < this.next || slot >= this.end) return slot;
    return this.writeEarly(slot);
  }

  /** Before the key in `slot` is removed (DEL, expiry, eviction), which moves the last slot's
   * key into its slot: returns the key's slot after the hook (it may have moved). */
  beforeRemove(slot: number): number {
    const removed = slot >= this.next && slot < this.end ? this.writeEarly(slot) : slot;
    const last = this.source.size - 1;
    if (last !== removed && last >= this.next && last < this.end) {
      // The last key moves to `removed`, below `next`: out of the pending slots, so now.
      this.write(last, true);
    }
    // The slot `last` goes away; the pending slots cannot reach past the store's end.
    if (this.end > last) this.end = last;
    return removed;
  }

  /** Before every key goes (FLUSHALL): the rest of the walk, at once. */
  beforeFlush(): void {
    while (this.next < this.end) this.write(this.next++, false);
    this.walkDone();
  }

  /** The main thread wrote one hand-over: send what is ready, or go on walking. */
  onChunksWritten(): void {
    if (this.phase === 'aborted' || this.inFlight === 0) return;
    this.inFlight--;
    this.writtenBytes += this.inFlightBytes.shift() as number;
    if (this.phase === 'draining') {
      this.handOver();
      this.finishIfDrained();
      return;
    }
    if (this.unsentBytes >= chunkBytes) this.handOver();
    this.scheduleSlice();
  }

  /** Ends the part early: nothing more is sent, the store's hooks go. */
  abort(): void {
    if (this.phase === 'aborted' || this.phase === 'done') return;
    const walking = this.phase === 'walking';
    this.phase = 'aborted';
    if (walking) this.detach();
  }

  private writeEarly(slot: number): number {
    this.write(slot, true);
    const next = this.next;
    if (slot !== next) this.source.swapSlots(slot, next);
    this.next = next + 1;
    return next;
  }

  private write(slot: number, early: boolean): void {
    const source = this.source;
    // Whole ms within what the format holds, so the encoder cannot refuse it inside a hook.
    const expireAt = Math.min(Math.floor(source.expireAtOfSlot(slot)), Number.MAX_SAFE_INTEGER);
    if (expireAt !== 0 && expireAt <= this.momentMs) {
      this.report.keysExpired++;
      return;
    }
    const key = source.keyAt(slot);
    const value = source.valueAt(slot);
    this.encoder.add(key, value, expireAt);
    this.report.keys++;
    if (early) this.report.keysWrittenEarly++;
    this.unsentBytes += key.length + value.length + entryFramingBytesMax;
    const buffered = this.unsentBytes + this.sentBytes - this.writtenBytes;
    if (buffered > this.report.bufferedBytesMax) this.report.bufferedBytesMax = buffered;
  }

  private scheduleSlice(): void {
    if (this.sliceScheduled || this.phase !== 'walking') return;
    if (this.inFlight >= snapshotChunksInFlightMax && this.unsentBytes >= chunkBytes) return;
    this.sliceScheduled = true;
    // setImmediate runs after the batches that arrived meanwhile: a slice never delays them
    // by more than sliceMsMax.
    setImmediate(() => {
      this.sliceScheduled = false;
      this.runSlice();
    });
  }

  private runSlice(): void {
    if (this.phase !== 'walking') return;
    try {
      const start = performance.now();
      const otherWorkMs = start - this.lastSliceEnd;
      const sliceMs =
        otherWorkMs < idleGapMs
          ? sliceMsMax
          : Math.min(sliceMsMax, Math.max(sliceMsMin, otherWorkMs));
      const deadline = start + sliceMs;
      while (this.next < this.end) {
        const stop = Math.min(this.end, this.next + slotsPerClockLook);
        while (this.next < stop) this.write(this.next++, false);
        if (this.unsentBytes >= chunkBytes) {
          if (this.inFlight >= snapshotChunksInFlightMax) return;
          this.handOver();
        }
        if (performance.now() >= deadline) break;
      }
      if (this.next >= this.end) this.walkDone();
      else this.scheduleSlice();
    } catch (error) {
      this.fail(error);
    } finally {
      this.lastSliceEnd = performance.now();
    }
  }

  /** Every key of the moment is in the encoder: no hook is needed any more. */
  private walkDone(): void {
    if (this.phase !== 'walking') return;
    this.phase = 'draining';
    this.detach();
    this.encoder.finish();
    this.handOver();
    this.finishIfDrained();
  }

  /** Hands the chunks made so far to the main thread, if it may take more. They end on an
   * entry boundary (finish seals the open chunk), so parts of several shards can be laid end
   * to end in the file in any order. */
  private handOver(): void {
    if (this.inFlight >= snapshotChunksInFlightMax) return;
    if (this.phase === 'walking') this.encoder.finish();
    const chunks: ArrayBuffer[] = [];
    const lengths: number[] = [];
    for (let chunk = this.encoder.takeChunk(); chunk !== null; chunk = this.encoder.takeChunk()) {
      // The encoder's chunks own their memory (1 MiB, never from Buffer's shared pool), so
      // they can be transferred; a view into shared memory would have to be copied.
      const own = chunk.byteOffset === 0 && chunk.buffer instanceof ArrayBuffer;
      chunks.push(own ? (chunk.buffer as ArrayBuffer) : Uint8Array.from(chunk).buffer);
      lengths.push(chunk.length);
    }
    this.unsentBytes = 0;
    if (chunks.length === 0) return;
    const part = this.encoder.part;
    const lengthBytes = part.lengthBytes - this.sentBytes;
    // crc(sent ++ these) = crc(sent) moved past these bytes, xor crc(these): so crc(these).
    const crc = part.crc ^ crc64Combine(this.sentCrc, 0n, lengthBytes);
    this.sentCrc = part.crc;
    this.sentBytes = part.lengthBytes;
    this.inFlight++;
    this.inFlightBytes.push(lengthBytes);
    this.post({ kind: 'chunks', snapshotId: this.id, chunks, lengths, crc, lengthBytes }, chunks);
  }

  private finishIfDrained(): void {
    if (this.phase !== 'draining' || this.inFlight > 0) return;
    if (this.encoder.part.lengthBytes > this.sentBytes) return;
    this.phase = 'done';
    this.report.bytes = this.sentBytes;
    this.report.elapsedMs = Math.round(performance.now() - this.startedAt);
    this.post({ kind: 'part-done', snapshotId: this.id, report: this.report }, []);
  }

  private fail(error: unknown): void {
    this.abort();
    const message = error instanceof Error ? error.message : String(error);
    this.post({ kind: 'part-failed', snapshotId: this.id, message }, []);
  }
}

/** What the shard thread's snapshot end needs of its store. */
export interface SnapshotStore extends SnapshotSource {
  snapshot: ShardSnapshot | null;
  readonly volatileSize: number;
  readonly changes: number;
  now(): number;
}

/**
 * The shard thread's end of the snapshot port: starts this shard's part when OpCode.snapshotBegin
 * arrives among the batches, and passes the main thread's answers to the part in progress.
 */
export class ShardSnapshots {
  private port: MessagePort | null = null;
  private current: ShardSnapshot | null = null;

  constructor(private readonly store: SnapshotStore) {}

  attach(port: MessagePort): void {
    this.port = port;
    port.on('message', (message: SnapshotToShard) => this.onMessage(message));
  }

  /** Starts a part at this point among the batch's operations, and answers with the store's
   * counts at this moment (SnapshotBeginResult, as a RESP array). */
  begin(snapshotId: number, out: RespOut): void {
    const store = this.store;
    // The main thread starts a snapshot only once the last one ended; an abort it sent may
    // still be on its way on the other port.
    this.current?.abort();
    const port = this.port;
    if (port === null) throw new Error('snapshot begun before the snapshot port was attached');
    out.arrayHeader(3);
    out.integerElement(store.size);
    out.integerElement(store.volatileSize);
    out.integerElement(store.changes);
    out.end();
    const part: ShardSnapshot = new ShardSnapshot({
      snapshotId,
      source: store,
      momentMs: store.now(),
      post: (message, transfer) => port.postMessage(message, transfer),
      detach: () => {
        if (store.snapshot === part) store.snapshot = null;
      },
    });
    this.current = part;
    store.snapshot = part;
  }

  private onMessage(message: SnapshotToShard): void {
    const part = this.current;
    switch (message.kind) {
      case 'chunks-written':
        if (part?.id === message.snapshotId) part.onChunksWritten();
        return;
      case 'abort':
        if (part?.id === message.snapshotId) part.abort();
        return;
      case 'changes-request':
        this.port?.postMessage({ kind: 'changes-result', changes: this.store.changes });
        return;
    }
  }
}
