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
 * It also counts its values by size class (powers of two of the bytes their reply takes), so
 * it can tell the main thread, with every answer, a bound on its largest reply that shrinks
 * when big values are deleted (src/shards/shard-handle.ts uses it to bound replies not yet
 * formatted).
 */

import { jsonString, needsJsonEscape } from '../src/protocol/reply-format.js';

/** Values up to this many characters are counted at their worst-case reply size. */
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
  private readonly valuesPerSizeClass = new Uint32Array(33);
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

  put(key: string, value: string): void {
    this.replace(key, this.data.get(key), value);
  }

  /** `put` for a caller that looked up the previous value already: Map lookups were a third of
   * a shard's CPU in the transaction mix (perf; bench/run.ts --tx 4), so a commit's write
   * makes two (get, set) instead of three. */
  private replace(key: string, previous: string | undefined, value: string): void {
    if (previous !== undefined) this.countValue(key, previous, -1);
    this.data.set(key, value);
    if (needsJsonEscape(value)) this.keysNeedingEscape.add(key);
    else if (this.keysNeedingEscape.size > 0) this.keysNeedingEscape.delete(key);
    this.countValue(key, value, 1);
  }

  delete(key: string): void {
    this.remove(key, this.data.get(key));
  }

  private remove(key: string, previous: string | undefined): void {
    if (previous !== undefined) this.countValue(key, previous, -1);
    this.data.delete(key);
    if (this.keysNeedingEscape.size > 0) this.keysNeedingEscape.delete(key);
  }

  /** At least the bytes of the largest value's reply text (at most twice it, or the fixed
   * overestimate of small values). */
  largestReplyBytesBound(): number {
    for (let sizeClass = 32; sizeClass > 0; sizeClass--) {
      if ((this.valuesPerSizeClass[sizeClass] as number) > 0) return 2 ** sizeClass - 1;
    }
    return 0;
  }

  /** Counts the value in the size class of its reply bytes. Call it with the escape set as it
   * is for this value: before changing it on removal, after on insertion. */
  private countValue(key: string, value: string, change: 1 | -1): void {
    const sizeClass = sizeClassOf(this.replyBytesOf(key, value));
    this.valuesPerSizeClass[sizeClass] = (this.valuesPerSizeClass[sizeClass] as number) + change;
  }

  /** Bytes the value takes in a reply: UTF-8, escaped where JSON wants it. Small values are
   * counted at their worst case (6 bytes a character) without scanning them: they never decide
   * how many replies a client may have in flight. */
  private replyBytesOf(key: string, value: string): number {
    if (value.length <= exactSizeCharsMin) return value.length * replyBytesPerCharMax;
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
    const previous = this.data.get(key);
    this.openUndo.push(key, previous);
    if (value === undefined) this.remove(key, previous);
    else this.replace(key, previous, value);
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
