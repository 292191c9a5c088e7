/**
 * The data of one shard: a Map from key to value, owned by exactly one thread, and the undo
 * records of commits in flight.
 *
 * Only the shard's own thread touches this Map, so no operation here needs a lock; the
 * coordinator's locks (main thread) keep other clients away from a commit's keys until every
 * shard of the commit has acknowledged. An undo record holds each key's value from before a
 * commit wrote it, so that when another shard of the same commit fails, this shard's part can
 * be taken back and nothing of the commit stays applied.
 *
 * It also tells the main thread, with every answer, a bound on its largest reply
 * (src/shards/shard-handle.ts uses it to bound replies not yet formatted). Large values are
 * counted exactly, by size class, so the bound shrinks when they are deleted; small ones only
 * raise a high-water mark (see `smallReplyBytesMax`).
 */

import { jsonString, needsJsonEscape } from '../src/protocol/reply-format.js';

/** Values longer than this many characters are counted exactly, by key. */
const exactSizeCharsMin = 1024;
/** `\u00XX` for a control character: the most bytes one character can take in a reply. */
const replyBytesPerCharMax = 6;

/** Pairs of key and previous value, flat (one array per commit part, not one per write);
 * undefined: the key did not exist before the commit. */
type UndoRecord = Array<string | undefined>;

/** Size class of a reply of `length` bytes: its bit length (0 for empty, 1 for 1, 2 for
 * 2-3, ...), so class c holds lengths below 2^c. */
function sizeClassOf(length: number): number {
  return 32 - Math.clz32(length);
}

export class ShardStore {
  private readonly data = new Map<string, string>();
  /** The size class of each large value's reply (longer than exactSizeCharsMin), by key. */
  private readonly largeValueClasses = new Map<string, number>();
  private readonly largeValuesPerSizeClass = new Uint32Array(33);
  /**
   * Worst-case reply bytes (6 a character) of the longest small value ever stored here: a
   * high-water mark that never falls, at most 6 KiB. Counting small values exactly meant
   * reading the length of the value each write replaces, a cache miss per write (9 % of a
   * shard's CPU in the transaction mix, perf). Without it: shard CPU per transaction 11.5 ->
   * 10.8 us, and 3 % more transactions/s (6 alternating runs of bench/run.ts --single --tx 4).
   */
  private smallReplyBytesMax = 0;
  /** Keys whose values have a character JSON must escape (rare): every other value is sent
   * as it is, without scanning it again on each GET. */
  private readonly keysNeedingEscape = new Set<string>();
  private readonly undoRecords = new Map<number, UndoRecord>();
  private openUndo: UndoRecord | null = null;

  get size(): number {
    return this.data.size;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  /** True when the value stored under `key` must be escaped in a reply. */
  needsEscape(key: string): boolean {
    return this.keysNeedingEscape.size > 0 && this.keysNeedingEscape.has(key);
  }

  /** Stores `value`; the value it replaces is never read (see smallReplyBytesMax). */
  put(key: string, value: string): void {
    this.data.set(key, value);
    if (needsJsonEscape(value)) this.keysNeedingEscape.add(key);
    else if (this.keysNeedingEscape.size > 0) this.keysNeedingEscape.delete(key);
    this.forgetLargeValue(key);
    if (value.length <= exactSizeCharsMin) {
      const replyBytesMax = value.length * replyBytesPerCharMax;
      if (replyBytesMax > this.smallReplyBytesMax) this.smallReplyBytesMax = replyBytesMax;
      return;
    }
    // After the escape set is updated: the reply's size depends on it.
    const sizeClass = sizeClassOf(this.replyBytesOf(key, value));
    this.largeValueClasses.set(key, sizeClass);
    this.largeValuesPerSizeClass[sizeClass] = (this.largeValuesPerSizeClass[sizeClass] ?? 0) + 1;
  }

  delete(key: string): void {
    this.data.delete(key);
    if (this.keysNeedingEscape.size > 0) this.keysNeedingEscape.delete(key);
    this.forgetLargeValue(key);
  }

  /** At least the bytes of the largest value's reply text (at most twice it for a large
   * value; for small ones, the high-water mark). */
  largestReplyBytesBound(): number {
    for (let sizeClass = 32; sizeClass > 0; sizeClass--) {
      if ((this.largeValuesPerSizeClass[sizeClass] as number) > 0) {
        return Math.max(2 ** sizeClass - 1, this.smallReplyBytesMax);
      }
    }
    return this.smallReplyBytesMax;
  }

  /** Uncounts the large value stored under `key`, if there is one. */
  private forgetLargeValue(key: string): void {
    if (this.largeValueClasses.size === 0) return;
    const sizeClass = this.largeValueClasses.get(key);
    if (sizeClass === undefined) return;
    this.largeValueClasses.delete(key);
    this.largeValuesPerSizeClass[sizeClass] = (this.largeValuesPerSizeClass[sizeClass] ?? 1) - 1;
  }

  /** Bytes a large value takes in a reply: UTF-8, escaped where JSON wants it. */
  private replyBytesOf(key: string, value: string): number {
    return this.needsEscape(key)
      ? Buffer.byteLength(jsonString(value), 'utf8')
      : Buffer.byteLength(value, 'utf8');
  }

  /** Starts recording a commit's writes on this shard; `txWrite` calls follow. */
  beginCommitPart(txId: number): void {
    if (this.undoRecords.has(txId)) throw new Error(`commit ${txId} applied twice on one shard`);
    this.openUndo = [];
    this.undoRecords.set(txId, this.openUndo);
  }

  /** A commit's write: remembers the previous value, then writes (undefined value = delete). */
  txWrite(key: string, value: string | undefined): void {
    if (this.openUndo === null) throw new Error('commit write outside a commit part');
    this.openUndo.push(key, this.data.get(key));
    if (value === undefined) this.delete(key);
    else this.put(key, value);
  }

  endCommitPart(): void {
    this.openUndo = null;
  }

  forget(txId: number): void {
    this.undoRecords.delete(txId);
  }

  /** Puts back every key the commit wrote on this shard, last write first. */
  undo(txId: number): void {
    const record = this.undoRecords.get(txId);
    if (record === undefined) return;
    for (let i = record.length - 2; i >= 0; i -= 2) {
      const key = record[i] as string;
      const previous = record[i + 1];
      if (previous === undefined) this.delete(key);
      else this.put(key, previous);
    }
    this.undoRecords.delete(txId);
  }
}
