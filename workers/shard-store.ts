/**
 * The data of one shard, owned by exactly one thread: each key's value and expiry time, what
 * the eviction policy needs to know of each key, the keys clients WATCH, and the undo records
 * of commits in flight.
 *
 * Keys and values are byte strings: JavaScript strings with one character per byte (latin1),
 * so any bytes a Redis client sends are stored exactly, and an ASCII or UTF-8 text costs one
 * byte a byte, as V8 keeps such strings one byte wide (FINDINGS.md: 170 bytes a key at 1M
 * keys, the same as the UTF-8-decoded strings stored before).
 *
 * Layout: a Map from key to slot, and per slot the key and value (one array, two elements a
 * slot), the expiry time (a Float64Array, allocated at the first expiry) and the last access
 * (a Uint32Array, only for the LRU policies). Slots are dense: a removed key's slot takes the
 * last key's entry, so slot numbers 0..size-1 are always in use. That is what lets eviction
 * sample keys at random, as Redis does, and active expiry scan expiry times in a typed array
 * rather than walk a second Map: a key with an expiry costs 8 bytes more, not a Map entry and
 * a heap number (about 45 bytes, measured at 1M keys), and LRU costs 4 bytes a key.
 *
 * Only the shard's own thread touches this store, so no operation here needs a lock; the
 * coordinator's locks (main thread) keep other clients away from a commit's keys until every
 * shard of the commit has acknowledged. An undo record holds each key's value and expiry from
 * before a commit wrote it, so that when another shard of the same commit fails, this shard's
 * part can be taken back and nothing of the commit stays applied. Its keys are exactly the
 * keys a commit in flight holds locked here, which eviction must never take (`pinnedKeys`).
 *
 * Every change to a key goes through `set`, `remove` and `setExpireAt` (and expiry and
 * eviction): they record undo entries inside a commit part and mark the key's watchers (WATCH,
 * START SERIALIZABLE). Expiry and eviction also mark watchers: they are writes for WATCH.
 *
 * It also tells the main thread, with every answer, a bound on its largest reply
 * (src/shards/shard-handle.ts uses it to bound replies not yet formatted), and how many bytes
 * of data it holds (`dataBytes`, for eviction). Large values are counted exactly, by size
 * class, so the bound shrinks when they are deleted; small ones only raise a high-water mark
 * (see `smallReplyBytesMax`).
 */
import { isUtf8 } from 'node:buffer';
import type { EvictionPolicy } from '../src/config/eviction-policies.js';
import { jsonString } from '../src/protocol/reply-format.js';
import type { ShardDataReport } from '../src/shards/batch-slots.js';
import { FrequencySketch } from './eviction-sketch.js';
import type { ShardSnapshot } from './shard-snapshot.js';

/** Values longer than this many bytes are counted exactly, by key. */
const exactSizeBytesMin = 1024;
/** `\u00XX` for a control character: the most bytes one byte of a value takes in a reply. */
const replyBytesPerByteMax = 6;
/** Keys with an expiry an active expiry step looks at before it decides whether to go on. */
const expirySampleKeys = 20;
/** Slots an active expiry step scans at most (most slots may hold keys without expiry). */
const expiryScanSlotsMax = 400;
/** An active expiry pass goes on while more than this share of a step's keys had expired:
 * Redis 7's acceptable share of expired keys still in memory. */
const expiryRepeatShare = 0.1;
/** RANDOMKEY gives up after this many expired picks in a row (Redis gives up too). */
const randomKeyTriesMax = 100;
/** Slots the typed arrays start with, and never shrink below. */
const slotCapacityMin = 1024;

/**
 * Estimated bytes of memory a key takes besides its key and value bytes: two V8 string
 * headers (16 bytes each, and alignment), its Map entry (~29 bytes at a Map's average load),
 * two slots of the entries array (16), its access time (4) and expiry time (8). An estimate:
 * the main thread corrects its budget from the process's resident memory (memory-guard.ts).
 */
export const entryOverheadBytes = 96;

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

export interface ShardStoreOptions {
  /** Decides what the store tracks per key: access times for *-lru, a frequency sketch for
   * *-lfu. Default noeviction. */
  policy?: EvictionPolicy;
  /** Milliseconds since the epoch (tests pass a fake clock). Default Date.now. */
  clock?: () => number;
}

export class ShardStore {
  /** Key to slot. */
  private index = new Map<string, number>();
  /** Slot s holds its key at 2s and its value at 2s + 1. */
  private entries: string[] = [];
  /** Length of the typed arrays below, in slots. */
  private capacity = slotCapacityMin;
  /** Expiry time per slot (ms since the epoch; 0: none); empty until a key gets one. */
  private expireAts = new Float64Array(0);
  private volatileCount = 0;
  /** The sum of every expiry time set, each as ms past `epochMs`: INFO's avg_ttl in O(1).
   * Offsets from the shard's start keep it an exact integer sum below 2^53 (a million keys a
   * day ahead: ~2^46); it restarts at 0 whenever no key has an expiry, so no rounding can
   * build up past that. */
  private expiryOffsetSum = 0;
  /** *-lru: when each slot's key was last used, in ms since `epochMs` (wraps after 49 days:
   * idle times are taken modulo 2^32). Empty for other policies. */
  private accessTimes = new Uint32Array(0);
  /** *-lfu: how often keys were used. */
  readonly sketch: FrequencySketch | null;
  private readonly clock: () => number;
  private readonly epochMs: number;
  /** The access clock, read once per batch (`tick`): LRU at millisecond resolution. */
  private accessClock = 0;
  /** Sum of the lengths of every key and value. */
  private keyValueBytes = 0;
  /** Where active expiry goes on from (a slot). */
  private expiryCursor = 0;
  /** The size class of each large value's reply (longer than exactSizeBytesMin), by key. */
  private readonly largeValueClasses = new Map<string, number>();
  private readonly largeValuesPerSizeClass = new Uint32Array(33);
  /**
   * Worst-case reply bytes (6 a byte) of the longest small value ever stored here: a
   * high-water mark that never falls, at most 6 KiB. Counting small values exactly meant
   * finding the size class of the value each write replaces (9 % of a shard's CPU in the
   * transaction mix, perf). Without it: shard CPU per transaction 11.5 -> 10.8 us, and 3 %
   * more transactions/s (6 alternating runs of bench/run.ts --single --tx 4).
   */
  private smallReplyBytesMax = 0;
  /** Keys whose values are not plain (ValueForm), rare: every other value is sent as it is,
   * without scanning it again on each GET. */
  private readonly valueForms = new Map<string, ValueForm>();
  /** The undo records of the commits in flight here (between their txApply and their txForget
   * or txUndo, a few dozen at most), oldest first, and their transaction ids. Arrays, not a Map
   * by id: with a Map's entries set and deleted per commit, 46-63 % of what a shard allocated
   * survived its young-generation collections instead of 5-31 % (V8 keeps deleted entries until
   * it rebuilds the table), so every collection copied and promoted it and the old generation
   * filled with garbage (--trace-gc-nvp; bench/run.ts, the transaction mix). */
  private readonly undoTxIds: number[] = [];
  private readonly undoRecords: UndoRecord[] = [];
  private openUndo: UndoRecord | null = null;
  /** WATCH: the watchers (client ids) of each watched key. */
  private readonly keyWatchers = new Map<string, number[]>();
  /** The keys each watcher watches here. */
  private readonly watcherKeys = new Map<number, string[]>();
  /** Watchers one of whose keys changed since they watched it, with that key. */
  private readonly dirtyWatchers = new Map<number, string>();
  /** Keys removed by expiry (lazily or actively), and by eviction, for INFO. */
  expiredKeys = 0;
  evictedKeys = 0;
  /** Key reads that found a key, and that found none, for INFO. */
  hits = 0;
  misses = 0;
  /** Changes made (writes, removals, expiry changes), for INFO's rdb_changes_since_last_save. */
  changes = 0;
  /** The snapshot being made, if one is (shard-snapshot.ts): told before a key changes, so it
   * writes the key's value from the snapshot's moment first. A null check when none runs. */
  snapshot: ShardSnapshot | null = null;

  constructor(options: ShardStoreOptions = {}) {
    const policy = options.policy ?? 'noeviction';
    this.clock = options.clock ?? Date.now;
    this.epochMs = this.clock();
    if (policy.endsWith('-lru')) this.accessTimes = new Uint32Array(this.capacity);
    this.sketch = policy.endsWith('-lfu') ? new FrequencySketch() : null;
  }

  get size(): number {
    return this.index.size;
  }

  /** Keys with an expiry time. */
  get volatileSize(): number {
    return this.volatileCount;
  }

  /** The mean time left to the keys with an expiry, in ms (INFO's avg_ttl; 0 when none).
   * Keys past their time but not yet removed pull it down; it is never below 0. */
  get averageTtlMs(): number {
    if (this.volatileCount === 0) return 0;
    const meanExpireAt = this.epochMs + this.expiryOffsetSum / this.volatileCount;
    return Math.max(0, Math.round(meanExpireAt - this.clock()));
  }

  /** Key and value bytes plus the estimated overhead of each key. */
  get dataBytes(): number {
    return this.keyValueBytes + this.index.size * entryOverheadBytes;
  }

  /** Reads the clock for the access times of what runs next (once per batch). */
  tick(): void {
    this.accessClock = (this.clock() - this.epochMs) >>> 0;
  }

  now(): number {
    return this.clock();
  }

  /** The live value of `key`, counted as a use of it (LRU, LFU); an expired key is removed on
   * the way (lazy expiry). */
  get(key: string): string | undefined {
    const slot = this.liveSlot(key);
    if (this.sketch !== null) this.sketch.add(key);
    if (slot < 0) return undefined;
    if (this.accessTimes.length > 0) this.accessTimes[slot] = this.accessClock;
    return this.entries[2 * slot + 1];
  }

  /** True when `key` holds a live value (not a use of it). */
  has(key: string): boolean {
    return this.liveSlot(key) >= 0;
  }

  /** Expiry time of a live key (ms since the epoch), or 0 when it has none. */
  expireAtOf(key: string): number {
    if (this.volatileCount === 0) return 0;
    const slot = this.index.get(key);
    return slot === undefined ? 0 : (this.expireAts[slot] as number);
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
  delete(key: string): boolean {
    return this.remove(key);
  }

  /** Stores `value` with expiry time `expireAt` (0: none), a use of the key. The value it
   * replaces is read only for its length (the data bytes eviction counts). */
  set(key: string, value: string, expireAt: number): void {
    if (this.openUndo !== null) this.recordUndo(key);
    let slot = this.index.get(key);
    if (slot === undefined) {
      slot = this.index.size;
      this.index.set(key, slot);
      this.entries.push(key, value);
      if (slot >= this.capacity) this.resize(this.capacity * 2);
      this.keyValueBytes += key.length + value.length;
      if (this.sketch !== null) this.sketch.fitTo(slot + 1);
    } else {
      if (this.snapshot !== null) slot = this.snapshot.beforeChange(slot);
      const at = 2 * slot + 1;
      this.keyValueBytes += value.length - (this.entries[at] as string).length;
      this.entries[at] = value;
    }
    this.setSlotExpiry(slot, expireAt);
    this.changes++;
    if (this.accessTimes.length > 0) this.accessTimes[slot] = this.accessClock;
    if (this.sketch !== null) this.sketch.add(key);
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
    const slot = this.liveSlot(key);
    if (slot < 0) return false;
    if (this.openUndo !== null) this.recordUndo(key);
    this.drop(key, slot);
    if (this.keyWatchers.size > 0) this.touch(key);
    return true;
  }

  /** Sets (or with 0 clears) the expiry of a live key. An expiry time already past removes
   * the key, as Redis does. */
  setExpireAt(key: string, expireAt: number): void {
    if (expireAt > 0 && expireAt <= this.clock()) {
      this.remove(key);
      return;
    }
    let slot = this.liveSlot(key);
    if (slot < 0) return;
    if (this.openUndo !== null) this.recordUndo(key);
    if (this.snapshot !== null) slot = this.snapshot.beforeChange(slot);
    this.changes++;
    this.setSlotExpiry(slot, expireAt);
    if (this.keyWatchers.size > 0) this.touch(key);
  }

  /** Every live key, for KEYS, SCAN and snapshots; expired ones are skipped. A live iterator
   * of the key Map: it survives changes, and sees every key present from its start to its
   * end. */
  *keys(): IterableIterator<string> {
    const now = this.clock();
    for (const [key, slot] of this.index) {
      if (this.volatileCount === 0) {
        yield key;
        continue;
      }
      const at = this.expireAts[slot] as number;
      if (at === 0 || at > now) yield key;
    }
  }

  /** A live key picked at random, or undefined when there is none. */
  randomKey(): string | undefined {
    for (let tries = 0; tries < randomKeyTriesMax && this.index.size > 0; tries++) {
      const key = this.entries[2 * Math.floor(Math.random() * this.index.size)] as string;
      if (this.has(key)) return key;
    }
    return undefined;
  }

  /** Removes every key (FLUSHALL); watchers of keys that existed are told. */
  flush(): void {
    if (this.snapshot !== null) this.snapshot.beforeFlush();
    this.changes++;
    if (this.keyWatchers.size > 0) {
      for (const key of this.keyWatchers.keys()) if (this.index.has(key)) this.touch(key);
    }
    this.index = new Map();
    this.entries = [];
    this.keyValueBytes = 0;
    this.volatileCount = 0;
    this.expiryOffsetSum = 0;
    this.expiryCursor = 0;
    this.capacity = slotCapacityMin;
    this.expireAts = new Float64Array(0);
    if (this.accessTimes.length > 0) this.accessTimes = new Uint32Array(this.capacity);
    this.sketch?.clear();
    this.valueForms.clear();
    this.largeValueClasses.clear();
    this.largeValuesPerSizeClass.fill(0);
  }

  /**
   * Active expiry: scans the slots from where the last call stopped, a step of up to
   * `expirySampleKeys` keys with an expiry at a time, removing the expired ones; goes on while
   * more than a tenth of a step had expired (or a step met no key with an expiry: they may be
   * few among many without), for at most one sweep of every slot, until `deadline`
   * (performance.now()). Returns the keys removed.
   */
  expireSome(deadline: number): number {
    let removed = 0;
    let scannedInAll = 0;
    while (this.volatileCount > 0 && scannedInAll < this.index.size) {
      const now = this.clock();
      let sampled = 0;
      let expired = 0;
      let scanned = 0;
      while (scanned < expiryScanSlotsMax && sampled < expirySampleKeys) {
        if (this.expiryCursor >= this.index.size) this.expiryCursor = 0;
        const slot = this.expiryCursor;
        const at = this.expireAts[slot] as number;
        scanned++;
        if (at === 0) {
          this.expiryCursor++;
          continue;
        }
        sampled++;
        if (at > now) {
          this.expiryCursor++;
          continue;
        }
        // The last slot's key moves into this one: the cursor stays to look at it.
        this.expire(this.entries[2 * slot] as string, slot);
        expired++;
        if (this.index.size === 0) break;
      }
      scannedInAll += scanned;
      removed += expired;
      if (sampled > 0 && expired <= sampled * expiryRepeatShare) break;
      if (performance.now() >= deadline) break;
    }
    return removed;
  }

  /** What the main thread is told with every answer. */
  report(): ShardDataReport {
    return { dataBytes: this.dataBytes, keys: this.index.size, volatileKeys: this.volatileCount };
  }

  // Slots, for eviction (workers/eviction.ts): keys are sampled by slot, and taken by key.

  /** The key in `slot` (0 <= slot < size). */
  keyAt(slot: number): string {
    return this.entries[2 * slot] as string;
  }

  /** The slot of `key`, expired or not, or -1. */
  slotOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** Expiry time of the key in `slot`, 0 when it has none. */
  expireAtOfSlot(slot: number): number {
    return this.volatileCount === 0 ? 0 : (this.expireAts[slot] as number);
  }

  /** The value in `slot`, expired or not (snapshots decide by the expiry time themselves). */
  valueAt(slot: number): string {
    return this.entries[2 * slot + 1] as string;
  }

  /** Exchanges the keys of two slots: a snapshot moves a key it has written below its cursor
   * (shard-snapshot.ts). */
  swapSlots(a: number, b: number): void {
    const entries = this.entries;
    const keyA = entries[2 * a] as string;
    const valueA = entries[2 * a + 1] as string;
    const keyB = entries[2 * b] as string;
    entries[2 * a] = keyB;
    entries[2 * a + 1] = entries[2 * b + 1] as string;
    entries[2 * b] = keyA;
    entries[2 * b + 1] = valueA;
    this.index.set(keyA, b);
    this.index.set(keyB, a);
    for (const times of [this.expireAts, this.accessTimes]) {
      if (times.length === 0) continue;
      const timeA = times[a] as number;
      times[a] = times[b] as number;
      times[b] = timeA;
    }
  }

  /** Milliseconds since the key in `slot` was last used (LRU policies). */
  idleMsOfSlot(slot: number): number {
    return (this.accessClock - (this.accessTimes[slot] as number)) >>> 0;
  }

  /** The bytes `dataBytes` counts for the key in `slot`. */
  entryBytesOfSlot(slot: number): number {
    const key = this.entries[2 * slot] as string;
    return key.length + (this.entries[2 * slot + 1] as string).length + entryOverheadBytes;
  }

  /** Removes the key in `slot` for its expiry time, which has passed. */
  expireSlot(slot: number): void {
    this.expire(this.entries[2 * slot] as string, slot);
  }

  /** Evicts the key in `slot`: gone as if deleted, and a write for its watchers. The caller
   * has checked that no commit in flight holds it (`pinnedKeys`). */
  evictSlot(slot: number): void {
    const key = this.entries[2 * slot] as string;
    this.drop(key, slot);
    this.evictedKeys++;
    if (this.keyWatchers.size > 0) this.touch(key);
  }

  /** The keys of commits in flight here (between their txApply and their txForget or
   * txUndo), which eviction must leave alone; null when there are none. */
  pinnedKeys(): Set<string> | null {
    if (this.undoRecords.length === 0) return null;
    const keys = new Set<string>();
    for (const record of this.undoRecords) {
      for (let i = 0; i < record.length; i += 3) keys.add(record[i] as string);
    }
    return keys;
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
    this.liveSlot(key);
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
    for (const key of this.watcherKeys.get(watcher) ?? []) this.liveSlot(key);
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
    const at = this.undoTxIds.indexOf(txId);
    if (at >= 0) {
      this.openUndo = this.undoRecords[at] as UndoRecord;
      return;
    }
    const record: UndoRecord = [];
    this.undoTxIds.push(txId);
    this.undoRecords.push(record);
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
    this.takeUndoRecord(txId);
  }

  /** Puts back every key the commit wrote on this shard, value and expiry, last write first. */
  undo(txId: number): void {
    const record = this.takeUndoRecord(txId);
    if (record === undefined) return;
    for (let i = record.length - 3; i >= 0; i -= 3) {
      const key = record[i] as string;
      const previous = record[i + 1] as string | undefined;
      if (previous === undefined) this.remove(key);
      else this.set(key, previous, record[i + 2] as number);
    }
  }

  /** Removes the undo record of `txId` (usually the oldest) and returns it. */
  private takeUndoRecord(txId: number): UndoRecord | undefined {
    const at = this.undoTxIds.indexOf(txId);
    if (at < 0) return undefined;
    const record = this.undoRecords[at];
    this.undoTxIds.splice(at, 1);
    this.undoRecords.splice(at, 1);
    return record;
  }

  private recordUndo(key: string): void {
    const slot = this.liveSlot(key);
    const openUndo = this.openUndo as UndoRecord;
    if (slot < 0) openUndo.push(key, undefined, 0);
    else openUndo.push(key, this.entries[2 * slot + 1], this.expireAtOfSlot(slot));
  }

  /** The slot of a live key, or -1; a key whose expiry time has passed is removed. */
  private liveSlot(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined) return -1;
    if (this.volatileCount === 0) return slot;
    const at = this.expireAts[slot] as number;
    if (at === 0 || at > this.clock()) return slot;
    this.expire(key, slot);
    return -1;
  }

  private setSlotExpiry(slot: number, expireAt: number): void {
    if (expireAt > 0) {
      if (this.expireAts.length === 0) this.expireAts = new Float64Array(this.capacity);
      const previous = this.expireAts[slot] as number;
      if (previous === 0) this.volatileCount++;
      else this.expiryOffsetSum -= previous - this.epochMs;
      this.expiryOffsetSum += expireAt - this.epochMs;
      this.expireAts[slot] = expireAt;
    } else if (this.volatileCount > 0 && this.expireAts[slot] !== 0) {
      this.forgetExpiry(this.expireAts[slot] as number);
      this.expireAts[slot] = 0;
    }
  }

  /** A key with expiry time `expireAt` has none any more (persisted, overwritten, gone). */
  private forgetExpiry(expireAt: number): void {
    this.volatileCount--;
    this.expiryOffsetSum =
      this.volatileCount === 0 ? 0 : this.expiryOffsetSum - (expireAt - this.epochMs);
  }

  /** A key whose expiry time has passed goes, as if deleted. */
  private expire(key: string, slot: number): void {
    this.drop(key, slot);
    this.expiredKeys++;
    if (this.keyWatchers.size > 0) this.touch(key);
  }

  /** Removes the key in `slot`; the last slot's key moves into it, so slots stay dense. */
  private drop(key: string, removedSlot: number): void {
    const slot = this.snapshot === null ? removedSlot : this.snapshot.beforeRemove(removedSlot);
    this.changes++;
    const last = this.index.size - 1;
    this.index.delete(key);
    this.keyValueBytes -= key.length + (this.entries[2 * slot + 1] as string).length;
    if (this.volatileCount > 0 && this.expireAts[slot] !== 0) {
      this.forgetExpiry(this.expireAts[slot] as number);
    }
    if (slot !== last) {
      const movedKey = this.entries[2 * last] as string;
      this.entries[2 * slot] = movedKey;
      this.entries[2 * slot + 1] = this.entries[2 * last + 1] as string;
      this.index.set(movedKey, slot);
      if (this.expireAts.length > 0) this.expireAts[slot] = this.expireAts[last] as number;
      if (this.accessTimes.length > 0) this.accessTimes[slot] = this.accessTimes[last] as number;
    }
    if (this.expireAts.length > 0) this.expireAts[last] = 0;
    this.entries.length = 2 * last;
    if (last < this.capacity >>> 2 && this.capacity > slotCapacityMin) {
      this.resize(this.capacity >>> 1);
    }
    if (this.valueForms.size > 0) this.valueForms.delete(key);
    this.forgetLargeValue(key);
  }

  /** Gives the typed arrays room for `capacity` slots, keeping the slots in use. Arrays
   * never written stay unallocated: a zeroed typed array costs no resident memory. */
  private resize(capacity: number): void {
    const used = this.index.size;
    this.capacity = Math.max(capacity, slotCapacityMin);
    if (this.expireAts.length > 0) {
      const grown = new Float64Array(this.capacity);
      grown.set(this.expireAts.subarray(0, Math.min(used, this.capacity)));
      this.expireAts = grown;
    }
    if (this.accessTimes.length > 0) {
      const grown = new Uint32Array(this.capacity);
      grown.set(this.accessTimes.subarray(0, Math.min(used, this.capacity)));
      this.accessTimes = grown;
    }
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
