/**
 * Chooses and removes the keys a shard evicts when the main thread asks it to free some bytes
 * (the `evictBytes` of a batch's header, before the batch's operations run: see
 * src/coordinator/eviction-budget.ts for how much, and why there).
 *
 * The choice follows Redis's approximation (evict.c): sample a few keys, keep the best
 * candidates seen so far in a small pool ordered by how much they deserve eviction, and evict
 * the best one; what is left in the pool carries over to the next eviction. Scores:
 * - *-lru: how long ago the key was last used (ms; Redis counts whole seconds);
 * - *-lfu: 255 minus how often it was used (eviction-sketch.ts);
 * - volatile-ttl: how soon it expires;
 * - *-random: no pool, a key picked at random.
 * allkeys-* sample slots at random; volatile-* too, falling back to a scan of the slots for
 * keys with an expiry from where the last scan stopped, so a store where few keys have one is
 * not sampled in vain.
 * A sampled key whose expiry time has passed is removed as expired first: it costs nothing.
 *
 * Never evicted: a key a commit in flight holds (ShardStore.pinnedKeys), so no client can see
 * part of a transaction's writes gone before it could read them.
 */
import type { EvictionPolicy } from '../src/config/eviction-policies.js';
import type { ShardStore } from './shard-store.js';

/** Keys sampled per eviction: Redis's default is 5; 10 came within 0.05 points of exact LRU
 * on the bench's Zipf trace (simulated), 5 lost another 0.1. */
const samplesPerEviction = 10;
/** Candidates kept between evictions (Redis's EVPOOL_SIZE). */
const poolSize = 16;
/** Sampling rounds that may find no candidate (all pinned, or expired on the way) before
 * eviction gives up until the next batch. */
const samplingRoundsMax = 4;
/** Random picks looking for a key with an expiry before the scan takes over. */
const volatileRandomTries = 8;
/** Evictions between two looks at the clock. */
const evictionsPerClockCheck = 32;

type Score = (store: ShardStore, slot: number, key: string) => number;

const scores: Partial<Record<EvictionPolicy, Score>> = {
  'allkeys-lru': (store, slot) => store.idleMsOfSlot(slot),
  'volatile-lru': (store, slot) => store.idleMsOfSlot(slot),
  'allkeys-lfu': (store, _slot, key) => 255 - (store.sketch?.estimate(key) ?? 0),
  'volatile-lfu': (store, _slot, key) => 255 - (store.sketch?.estimate(key) ?? 0),
  'volatile-ttl': (store, slot) => Number.MAX_SAFE_INTEGER - store.expireAtOfSlot(slot),
};

export class Evictor {
  private readonly onlyVolatile: boolean;
  private readonly score: Score | undefined;
  /** Whether a score needs the key (LFU) or only the slot. */
  private readonly scoreNeedsKey: boolean;
  /** The candidates, in ascending score order (the best last), with the slot each had when
   * sampled: slots move when keys are removed, so a candidate's slot is checked against its
   * key before use. Typed arrays and a count: this runs once per evicted key. */
  private readonly poolKeys: string[] = new Array<string>(poolSize).fill('');
  private readonly poolSlots = new Int32Array(poolSize);
  private readonly poolScores = new Float64Array(poolSize);
  private poolCount = 0;
  /** Where the scan for keys with an expiry goes on from (volatile-*). */
  private volatileCursor = 0;
  private pinned: Set<string> | null = null;
  /** Bytes of expired keys the sampling removed on the way. */
  private freedByExpiry = 0;

  constructor(
    private readonly store: ShardStore,
    readonly policy: EvictionPolicy,
  ) {
    this.onlyVolatile = policy.startsWith('volatile-');
    this.score = scores[policy];
    this.scoreNeedsKey = policy.endsWith('-lfu');
  }

  /**
   * Removes keys until `bytes` of data (ShardStore.dataBytes) are freed, the store has nothing
   * left the policy may take, or `deadline` (performance.now()) passes; returns the bytes freed.
   * What is not freed the main thread asks for again with the next batch.
   */
  evict(bytes: number, deadline: number): number {
    if (this.policy === 'noeviction') return 0;
    this.pinned = this.store.pinnedKeys();
    this.freedByExpiry = 0;
    let freed = 0;
    for (let evictions = 1; freed + this.freedByExpiry < bytes; evictions++) {
      const slot = this.nextVictim();
      // Sampling may have freed enough by removing expired keys.
      if (slot < 0 || freed + this.freedByExpiry >= bytes) break;
      freed += this.store.entryBytesOfSlot(slot);
      this.store.evictSlot(slot);
      if (evictions % evictionsPerClockCheck === 0 && performance.now() >= deadline) break;
    }
    this.pinned = null;
    return freed + this.freedByExpiry;
  }

  /** The slot of the key to evict next, or -1 when there is none the policy may take. */
  private nextVictim(): number {
    if (this.score === undefined) return this.randomVictim();
    const store = this.store;
    for (let round = 0; round < samplingRoundsMax; round++) {
      this.sample();
      while (this.poolCount > 0) {
        const at = --this.poolCount;
        const key = this.poolKeys[at] as string;
        const stored = this.poolScores[at] as number;
        this.poolKeys[at] = '';
        let slot = this.poolSlots[at] as number;
        if (slot >= store.size || store.keyAt(slot) !== key) slot = store.slotOf(key);
        if (slot < 0 || this.isPinned(key) || !this.eligible(slot)) continue;
        // Used since it was sampled: back in the pool at its new score, unless still the best.
        const current = this.score(store, slot, key);
        if (
          current < stored &&
          this.poolCount > 0 &&
          current < (this.poolScores[at - 1] as number)
        ) {
          this.offer(slot, key, current);
          continue;
        }
        return slot;
      }
      if (store.size === 0 || (this.onlyVolatile && store.volatileSize === 0)) break;
    }
    return -1;
  }

  /** Offers `samplesPerEviction` keys to the pool (every key when there are fewer). */
  private sample(): void {
    const store = this.store;
    const score = this.score as Score;
    const now = store.volatileSize > 0 ? store.now() : 0;
    const candidates = this.onlyVolatile ? store.volatileSize : store.size;
    const count = Math.min(samplesPerEviction, candidates);
    // A small store is sampled whole, in slot order, so every key is considered.
    const exhaustive = !this.onlyVolatile && candidates <= samplesPerEviction;
    for (let i = 0; i < count; i++) {
      const slot = this.onlyVolatile
        ? this.nextVolatileSlot()
        : exhaustive
          ? count - 1 - i
          : Math.floor(Math.random() * store.size);
      if (slot < 0 || slot >= store.size) return;
      if (now > 0) {
        const at = store.expireAtOfSlot(slot);
        if (at !== 0 && at <= now) {
          // Expired: removed now, as active expiry would, and no longer a candidate (slots
          // from the last down, so the key moved into this slot was looked at already).
          this.freedByExpiry += store.entryBytesOfSlot(slot);
          store.expireSlot(slot);
          continue;
        }
      }
      let key = '';
      if (this.scoreNeedsKey) key = store.keyAt(slot);
      const value = score(store, slot, key);
      // Most samples are no better than the pool's worst: they cost no look at their key.
      if (this.poolCount === poolSize && value <= (this.poolScores[0] as number)) continue;
      if (!this.scoreNeedsKey) key = store.keyAt(slot);
      if (this.isPinned(key)) continue;
      this.offer(slot, key, value);
    }
  }

  /** Puts the key in the pool in score order, dropping the worst candidate when it is full. */
  private offer(slot: number, key: string, score: number): void {
    const keys = this.poolKeys;
    const slots = this.poolSlots;
    const values = this.poolScores;
    let count = this.poolCount;
    for (let i = 0; i < count; i++) {
      if (keys[i] !== key) continue;
      // Already a candidate: taken out, to go back in at its new score.
      for (let j = i; j < count - 1; j++) {
        keys[j] = keys[j + 1] as string;
        slots[j] = slots[j + 1] as number;
        values[j] = values[j + 1] as number;
      }
      count--;
      break;
    }
    let at = count;
    if (count === poolSize) {
      if (score <= (values[0] as number)) {
        this.poolCount = count;
        return;
      }
      // The worst goes: shift the lower ones down while finding the place.
      at = 0;
      while (at < poolSize - 1 && (values[at + 1] as number) < score) {
        keys[at] = keys[at + 1] as string;
        slots[at] = slots[at + 1] as number;
        values[at] = values[at + 1] as number;
        at++;
      }
    } else {
      while (at > 0 && (values[at - 1] as number) > score) {
        keys[at] = keys[at - 1] as string;
        slots[at] = slots[at - 1] as number;
        values[at] = values[at - 1] as number;
        at--;
      }
      count++;
    }
    keys[at] = key;
    slots[at] = slot;
    values[at] = score;
    this.poolCount = count;
  }

  /** allkeys-random and volatile-random. */
  private randomVictim(): number {
    const store = this.store;
    for (let tries = 0; tries < samplesPerEviction * 4 && store.size > 0; tries++) {
      const slot = this.onlyVolatile
        ? this.nextVolatileSlot()
        : Math.floor(Math.random() * store.size);
      if (slot < 0) return -1;
      if (!this.isPinned(store.keyAt(slot))) return slot;
    }
    return -1;
  }

  /** A slot with an expiry: a few random picks first (as Redis samples its keys with an
   * expiry at random), then the scan from its cursor (looking at every slot at most once) when
   * such keys are too few to hit at random; -1 when there is none. */
  private nextVolatileSlot(): number {
    const store = this.store;
    if (store.volatileSize === 0) return -1;
    // A few keys with an expiry are all looked at, by the scan.
    const tries = store.volatileSize > samplesPerEviction ? volatileRandomTries : 0;
    for (let i = 0; i < tries; i++) {
      const slot = Math.floor(Math.random() * store.size);
      if (store.expireAtOfSlot(slot) !== 0) return slot;
    }
    for (let looked = 0; looked < store.size; looked++) {
      if (this.volatileCursor >= store.size) this.volatileCursor = 0;
      const slot = this.volatileCursor++;
      if (store.expireAtOfSlot(slot) !== 0) return slot;
    }
    return -1;
  }

  private eligible(slot: number): boolean {
    return !this.onlyVolatile || this.store.expireAtOfSlot(slot) !== 0;
  }

  private isPinned(key: string): boolean {
    return this.pinned?.has(key) === true;
  }
}
