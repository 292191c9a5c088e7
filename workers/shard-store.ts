/**
 * The data of one shard: a Map from key to value, owned by exactly one thread, with each key's
 * expiry time, the keys clients WATCH, and the undo records of commits in flight.
 *
 * Keys and values are byte strings: JavaScript strings with one character per byte (latin1),
 * so any bytes a Redis client sends are stored exactly, and an ASCII or UTF-8 text costs one
 * byte a byte, as V8 keeps such strings one byte wide (FINDINGS.md: 170 bytes a key at 1M
 * keys, the same as the UTF-8-decoded strings stored before).
 *
 * Only the shard's own thread touches this Map, so no operation here needs a lock; the
 * coordinator's locks (main thread) keep other clients away from a commit's keys until every
 * shard of the commit has acknowledged. An undo record holds each key's value and expiry from
 * before a commit wrote it, so that when another shard of the same commit fails, this shard's
 * part can be taken back and nothing of the commit stays applied.
 *
 * Every change to a key goes through `set`, `remove` and `setExpireAt`: they record undo
 * entries inside a commit part and mark the key's watchers (WATCH, START SERIALIZABLE).
 *
 * It also tells the main thread, with every answer, a bound on its largest reply
 * (src/shards/shard-handle.ts uses it to bound replies not yet formatted). Large values are
 * counted exactly, by size class, so the bound shrinks when they are deleted; small ones only
 * raise a high-water mark (see `smallReplyBytesMax`).
 */
import { isUtf8 } from 'node:buffer';
import { jsonString } from '../src/protocol/reply-format.js';

/** Values longer than this many bytes are counted exactly, by key. */
const exactSizeBytesMin = 1024;
/** `\u00XX` for a control character: the most bytes one byte of a value takes in a reply. */
const replyBytesPerByteMax = 6;
/** Keys an active expiry step looks at before it checks the clock again. */
const expirySampleKeys = 20;
/** An active expiry pass goes on while at least this share of a sample had expired. */
const expiryRepeatShare = 0.25;

/** RANDOMKEY moves its cursor by 1 to this many keys. */
const randomKeyStepsMax = 16;
/** RANDOMKEY gives up after this many expired picks in a row (Redis gives up too). */
const randomKeyTriesMax = 100;

/** How a value reads over the line protocol, whose replies are JSON text. */
export const ValueForm = {
  /** ASCII or UTF-8 text with nothing JSON must escape: sent as it is. */
  plain: 0,
  /** UTF-8 text with a character JSON (or SPEC.md) wants escaped. */
  escape: 1,
  /** Not valid UTF-8: readable only over RESP. */
  binary: 2,
} as const;
export type ValueForm = (typeof ValueForm)[keyof typeof ValueForm];

/** Any byte outside printable ASCII, or `"` and `\`: a value without one is plain. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point.
const notPlainAscii = /[\u0000-\u001f"\\\u007f-\u00ff]/;
/** In UTF-8 text: what JSON escapes, and U+2028/U+2029 (bytes E2 80 A8/A9), which SPEC.md
 * wants escaped too. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point.
const jsonEscapedBytes = /[\u0000-\u001f"\\]|\u00e2\u0080[\u00a8\u00a9]/;

/** The form of the byte string `value`. */
export function valueFormOf(value: string): ValueForm {
  if (!notPlainAscii.test(value)) return ValueForm.plain;
  if (!isUtf8(Buffer.from(value, 'latin1'))) return ValueForm.binary;
  return jsonEscapedBytes.test(value) ? ValueForm.escape : ValueForm.plain;
}

/** Triples of key, previous value and previous expiry, flat (one array per commit, not one
 * per write); an undefined value: the key did not exist before the commit. */
type UndoRecord = Array<string | number | undefined>;

/** Size class of a reply of `length` bytes: its bit length (0 for empty, 1 for 1, 2 for
 * 2-3, ...), so class c holds lengths below 2^c. */
function sizeClassOf(length: number): number {
  return 32 - Math.clz32(length);
}

export class ShardStore {
  private readonly data = new Map<string, string>();
  /** Expiry time (ms since the epoch) of each key that has one. */
  private readonly expires = new Map<string, number>();
  /** Where active expiry goes on from; iterators of a Map survive its changes. */
  private expiryCursor: IterableIterator<[string, number]> | null = null;
  /** Where RANDOMKEY goes on from. */
  private randomCursor: IterableIterator<string> | null = null;
  /** The size class of each large value's reply (longer than exactSizeBytesMin), by key. */
  private readonly largeValueClasses = new Map<string, number>();
  private readonly largeValuesPerSizeClass = new Uint32Array(33);
  /**
   * Worst-case reply bytes (6 a byte) of the longest small value ever stored here: a
   * high-water mark that never falls, at most 6 KiB. Counting small values exactly meant
   * reading the length of the value each write replaces, a cache miss per write (9 % of a
   * shard's CPU in the transaction mix, perf). Without it: shard CPU per transaction 11.5 ->
   * 10.8 us, and 3 % more transactions/s (6 alternating runs of bench/run.ts --single --tx 4).
   */
  private smallReplyBytesMax = 0;
  /** Keys whose values are not plain (ValueForm), rare: every other value is sent as it is,
   * without scanning it again on each GET. */
  private readonly valueForms = new Map<string, ValueForm>();
  private readonly undoRecords = new Map<number, UndoRecord>();
  private openUndo: UndoRecord | null = null;
  /** WATCH: the watchers (client ids) of each watched key. */
  private readonly keyWatchers = new Map<string, number[]>();
  /** The keys each watcher watches here. */
  private readonly watcherKeys = new Map<number, string[]>();
  /** Watchers one of whose keys changed since they watched it, with that key. */
  private readonly dirtyWatchers = new Map<number, string>();
  /** Keys removed by expiry (lazily or actively), for INFO. */
  expiredKeys = 0;
  /** Key reads that found a key, and that found none, for INFO. */
  hits = 0;
  misses = 0;

  get size(): number {
    return this.data.size;
  }

  /** Keys with an expiry time. */
  get volatileSize(): number {
    return this.expires.size;
  }

  /** The live value of `key`; an expired key is removed on the way (lazy expiry). */
  get(key: string): string | undefined {
    const value = this.data.get(key);
    if (value === undefined || this.expires.size === 0) return value;
    const at = this.expires.get(key);
    if (at === undefined || at > Date.now()) return value;
    this.expire(key);
    return undefined;
  }

  /** True when `key` holds a live value. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Expiry time of a live key (ms since the epoch), or 0 when it has none. */
  expireAtOf(key: string): number {
    return this.expires.size === 0 ? 0 : (this.expires.get(key) ?? 0);
  }

  /** How the value under `key` reads over the line protocol. */
  formOf(key: string): ValueForm {
    return this.valueForms.size === 0 ? ValueForm.plain : (this.valueForms.get(key) ?? 0);
  }

  /** True when the value stored under `key` must be escaped in a JSON reply. */
  needsEscape(key: string): boolean {
    return this.formOf(key) === ValueForm.escape;
  }

  /** Line protocol PUT: stores `value` without expiry. */
  put(key: string, value: string): void {
    this.set(key, value, 0);
  }

  /** Line protocol DEL. */
  delete(key: string): void {
    this.remove(key);
  }

  /** Stores `value` with expiry time `expireAt` (0: none); the value it replaces is never read
   * (see smallReplyBytesMax). */
  set(key: string, value: string, expireAt: number): void {
    if (this.openUndo !== null) this.recordUndo(key);
    this.data.set(key, value);
    if (expireAt > 0) this.expires.set(key, expireAt);
    else if (this.expires.size > 0) this.expires.delete(key);
    if (this.keyWatchers.size > 0) this.touch(key);
    const form = valueFormOf(value);
    if (form !== ValueForm.plain) this.valueForms.set(key, form);
    else if (this.valueForms.size > 0) this.valueForms.delete(key);
    this.forgetLargeValue(key);
    if (value.length <= exactSizeBytesMin) {
      const replyBytesMax = value.length * replyBytesPerByteMax;
      if (replyBytesMax > this.smallReplyBytesMax) this.smallReplyBytesMax = replyBytesMax;
      return;
    }
    // After the form is updated: the reply's size depends on it.
    const sizeClass = sizeClassOf(this.replyBytesOf(key, value));
    this.largeValueClasses.set(key, sizeClass);
    this.largeValuesPerSizeClass[sizeClass] = (this.largeValuesPerSizeClass[sizeClass] ?? 0) + 1;
  }

  /** Removes `key`; true when it held a live value. */
  remove(key: string): boolean {
    const existed = this.get(key) !== undefined;
    if (!existed) return false;
    if (this.openUndo !== null) this.recordUndo(key);
    this.drop(key);
    if (this.keyWatchers.size > 0) this.touch(key);
    return true;
  }

  /** Sets (or with 0 clears) the expiry of a live key. An expiry time already past removes
   * the key, as Redis does. */
  setExpireAt(key: string, expireAt: number): void {
    if (expireAt > 0 && expireAt <= Date.now()) {
      this.remove(key);
      return;
    }
    if (this.openUndo !== null) this.recordUndo(key);
    if (expireAt > 0) this.expires.set(key, expireAt);
    else this.expires.delete(key);
    if (this.keyWatchers.size > 0) this.touch(key);
  }

  /** Every live key, for KEYS, SCAN and snapshots; expired ones are skipped. */
  *keys(): IterableIterator<string> {
    const now = Date.now();
    for (const key of this.data.keys()) {
      const at = this.expires.size === 0 ? undefined : this.expires.get(key);
      if (at === undefined || at > now) yield key;
    }
  }

  /** A live key picked at random, or undefined when there is none. Maps have no random
   * access: a cursor kept between calls moves on by a random few keys, which spreads picks
   * over the whole keyspace at a cost independent of its size (Redis's RANDOMKEY is not
   * uniform either). */
  randomKey(): string | undefined {
    for (let tries = 0; tries < randomKeyTriesMax && this.data.size > 0; tries++) {
      const steps = 1 + Math.floor(Math.random() * randomKeyStepsMax);
      let key: string | undefined;
      for (let i = 0; i < steps; i++) {
        this.randomCursor ??= this.data.keys();
        const next = this.randomCursor.next();
        if (next.done === true) this.randomCursor = null;
        else key = next.value;
      }
      if (key !== undefined && this.has(key)) return key;
    }
    return undefined;
  }

  /** Removes every key (FLUSHALL); watchers of keys that existed are told. */
  flush(): void {
    if (this.keyWatchers.size > 0) {
      for (const key of this.keyWatchers.keys()) if (this.data.has(key)) this.touch(key);
    }
    this.data.clear();
    this.expires.clear();
    this.expiryCursor = null;
    this.randomCursor = null;
    this.valueForms.clear();
    this.largeValueClasses.clear();
    this.largeValuesPerSizeClass.fill(0);
  }

  /**
   * Active expiry: looks at keys with an expiry, a sample at a time, from where the last call
   * stopped, removing the expired ones; goes on while a quarter or more of a sample had
   * expired and `deadline` (performance.now()) is not reached. Returns the keys removed.
   */
  expireSome(deadline: number): number {
    if (this.expires.size === 0) return 0;
    let removed = 0;
    for (;;) {
      const now = Date.now();
      let sampled = 0;
      let expired = 0;
      while (sampled < expirySampleKeys) {
        this.expiryCursor ??= this.expires.entries();
        const next = this.expiryCursor.next();
        if (next.done === true) {
          this.expiryCursor = null;
          if (sampled === 0 || this.expires.size === 0) return removed + expired;
          break;
        }
        sampled++;
        const [key, at] = next.value;
        if (at <= now) {
          this.expire(key);
          expired++;
        }
      }
      removed += expired;
      if (expired < sampled * expiryRepeatShare || performance.now() >= deadline) return removed;
    }
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

  /** WATCH: `watcher` is told of every change to `key` from now on. */
  watch(watcher: number, key: string): void {
    // An expired key changes now, before the watch, not after it.
    this.get(key);
    const watchers = this.keyWatchers.get(key);
    if (watchers === undefined) this.keyWatchers.set(key, [watcher]);
    else if (!watchers.includes(watcher)) watchers.push(watcher);
    else return;
    const keys = this.watcherKeys.get(watcher);
    if (keys === undefined) this.watcherKeys.set(watcher, [key]);
    else keys.push(key);
  }

  /** A key `watcher` watches that changed since, or undefined. Looks its keys up first, so
   * a key whose expiry time passed counts as changed. */
  changedWatchedKey(watcher: number): string | undefined {
    for (const key of this.watcherKeys.get(watcher) ?? []) this.get(key);
    return this.dirtyWatchers.get(watcher);
  }

  unwatchAll(watcher: number): void {
    this.dirtyWatchers.delete(watcher);
    const keys = this.watcherKeys.get(watcher);
    if (keys === undefined) return;
    this.watcherKeys.delete(watcher);
    for (const key of keys) {
      const watchers = (this.keyWatchers.get(key) as number[]).filter((id) => id !== watcher);
      if (watchers.length === 0) this.keyWatchers.delete(key);
      else this.keyWatchers.set(key, watchers);
    }
  }

  /** Starts (or, for a later step of the same commit, continues) recording a commit's writes
   * on this shard. */
  beginCommitPart(txId: number): void {
    let record = this.undoRecords.get(txId);
    if (record === undefined) {
      record = [];
      this.undoRecords.set(txId, record);
    }
    this.openUndo = record;
  }

  /** A line-protocol commit's write (undefined value = delete). */
  txWrite(key: string, value: string | undefined): void {
    if (this.openUndo === null) throw new Error('commit write outside a commit part');
    if (value === undefined) this.remove(key);
    else this.set(key, value, 0);
  }

  endCommitPart(): void {
    this.openUndo = null;
  }

  forget(txId: number): void {
    this.undoRecords.delete(txId);
  }

  /** Puts back every key the commit wrote on this shard, value and expiry, last write first. */
  undo(txId: number): void {
    const record = this.undoRecords.get(txId);
    if (record === undefined) return;
    this.undoRecords.delete(txId);
    for (let i = record.length - 3; i >= 0; i -= 3) {
      const key = record[i] as string;
      const previous = record[i + 1] as string | undefined;
      if (previous === undefined) this.remove(key);
      else this.set(key, previous, record[i + 2] as number);
    }
  }

  private recordUndo(key: string): void {
    (this.openUndo as UndoRecord).push(key, this.get(key), this.expireAtOf(key));
  }

  /** A key whose expiry time has passed goes, as if deleted. */
  private expire(key: string): void {
    this.drop(key);
    this.expiredKeys++;
    if (this.keyWatchers.size > 0) this.touch(key);
  }

  private drop(key: string): void {
    this.data.delete(key);
    if (this.expires.size > 0) this.expires.delete(key);
    if (this.valueForms.size > 0) this.valueForms.delete(key);
    this.forgetLargeValue(key);
  }

  private touch(key: string): void {
    const watchers = this.keyWatchers.get(key);
    if (watchers === undefined) return;
    for (const watcher of watchers) {
      if (!this.dirtyWatchers.has(watcher)) this.dirtyWatchers.set(watcher, key);
    }
  }

  /** Uncounts the large value stored under `key`, if there is one. */
  private forgetLargeValue(key: string): void {
    if (this.largeValueClasses.size === 0) return;
    const sizeClass = this.largeValueClasses.get(key);
    if (sizeClass === undefined) return;
    this.largeValueClasses.delete(key);
    this.largeValuesPerSizeClass[sizeClass] = (this.largeValuesPerSizeClass[sizeClass] ?? 1) - 1;
  }

  /** Bytes a large value takes in a reply: its bytes, escaped where JSON wants it. */
  private replyBytesOf(key: string, value: string): number {
    if (this.formOf(key) !== ValueForm.escape) return value.length;
    return Buffer.byteLength(jsonString(Buffer.from(value, 'latin1').toString('utf8')), 'utf8');
  }
}
