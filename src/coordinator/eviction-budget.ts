/**
 * How much data the shards may hold together, and which shard evicts how much of it, so that
 * with an eviction policy a write never waits and never fails for memory (SPEC.md section 8).
 *
 * Every shard reports its data with each answer (ShardDataReport: key and value bytes plus an
 * estimated overhead per key). The budget is the data all shards may hold together. Whenever
 * the shards' data, plus the writes on their way to them, passes the budget, each shard is
 * owed an eviction in proportion to its share of the data (of the data with an expiry, for the
 * volatile-* policies): one shard full of big values gives most of the room, the others only
 * their share. A shard's owed bytes travel in the header of its next batch, and it evicts them
 * before it runs that batch's writes; a shard with nothing to send gets an empty batch, so a
 * shard that nobody writes to still gives its share.
 *
 * The budget follows the process's resident memory (memory-guard.ts samples it): the overhead
 * per key, V8's garbage not yet collected, young generations and buffers are only known from
 * RSS. With room to spare while the budget binds, it grows by a small step; over --max-memory it
 * stops at the data held then; well over it (10 %), it shrinks by a tenth. Holding rather than
 * shrinking at the limit matters: V8 rarely gives a heap's freed pages back (they are
 * fragmented, and new writes reuse them), so RSS hardly falls when data is evicted, and a
 * budget cut for as long as RSS stays over the limit emptied a 512 MiB cache down to 8 MiB of
 * data while RSS stayed at ~500 MiB. Held, the data stays put, new writes fill the room evicted
 * keys leave, and RSS stays flat.
 *
 * Everything here runs on the main thread, a few additions per batch.
 */
import type { EvictionPolicy } from '../config/eviction-policies.js';
import type { ShardDataReport } from '../shards/batch-slots.js';
import type { ShardHandle, ShardMeter } from '../shards/shard-handle.js';

/** An eviction frees this share of the budget below it, so evictions come in runs of a
 * useful size rather than one per write. */
const evictionSlackShare = 0.01;
/** The budget never falls below this share of --max-memory: however much the process uses
 * besides data, a cache keeps some data. */
const budgetShareMin = 1 / 64;
/** How often the budget may move: RSS answers an eviction only after V8 has collected. */
const adjustIntervalMs = 250;
/** Over this share of the limit the budget shrinks (a tenth per adjustment); between the limit
 * and this it holds. */
const shrinkAboveShare = 1.1;
const shrinkFactor = 0.9;
/** While RSS is under this share of the limit and the budget binds, the budget grows. */
const growBelowShare = 0.85;
/** The budget grows by at most this share of the limit per adjustment (8 % a second). */
const growStepShare = 0.02;
/** An empty batch that only carries an eviction goes to a shard at most this often. */
const evictionOnlyBatchIntervalMs = 5;

export class EvictionBudget implements ShardMeter {
  /** Data bytes the shards may hold together. */
  budgetBytes: number;
  private readonly reported: number[];
  private readonly keys: number[];
  private readonly volatileKeys: number[];
  /** Key and value bytes of batches sent and not yet answered. */
  private readonly writesInFlight: number[];
  /** Evictions sent and not yet answered, and evictions owed not yet sent. */
  private readonly evictionsInFlight: number[];
  private readonly owed: number[];
  private readonly evictionOnlyBatchMs: number[];
  private readonly onlyVolatile: boolean;
  private lastAdjustMs = 0;

  constructor(
    private readonly shards: readonly ShardHandle[],
    policy: EvictionPolicy,
    /** The data budget to start from. */
    initialBudgetBytes: number,
  ) {
    const zeros = () => shards.map(() => 0);
    this.reported = zeros();
    this.keys = zeros();
    this.volatileKeys = zeros();
    this.writesInFlight = zeros();
    this.evictionsInFlight = zeros();
    this.owed = zeros();
    this.evictionOnlyBatchMs = zeros();
    this.onlyVolatile = policy.startsWith('volatile-');
    this.budgetBytes = initialBudgetBytes;
  }

  /** The shards' data, with writes on their way and evictions not yet done. */
  get dataBytes(): number {
    let total = 0;
    for (let i = 0; i < this.shards.length; i++) total += this.expectedBytes(i);
    return total;
  }

  /** Keys with an expiry on every shard, at their last answers. */
  get volatileKeyCount(): number {
    return this.volatileKeys.reduce((sum, count) => sum + count, 0);
  }

  sending(shard: number, writeBytes: number): number {
    this.writesInFlight[shard] = (this.writesInFlight[shard] as number) + writeBytes;
    this.plan(shard);
    const evictBytes = this.owed[shard] as number;
    this.owed[shard] = 0;
    this.evictionsInFlight[shard] = (this.evictionsInFlight[shard] as number) + evictBytes;
    return evictBytes;
  }

  answered(shard: number, data: ShardDataReport, writeBytes: number, evictBytes: number): void {
    this.reported[shard] = data.dataBytes;
    this.keys[shard] = data.keys;
    this.volatileKeys[shard] = data.volatileKeys;
    this.writesInFlight[shard] = (this.writesInFlight[shard] as number) - writeBytes;
    this.evictionsInFlight[shard] = (this.evictionsInFlight[shard] as number) - evictBytes;
    this.plan(-1);
  }

  lost(shard: number, writeBytes: number, evictBytes: number): void {
    // The thread restarts empty; its next answer reports what it holds.
    this.reported[shard] = 0;
    this.keys[shard] = 0;
    this.volatileKeys[shard] = 0;
    this.owed[shard] = 0;
    this.writesInFlight[shard] = (this.writesInFlight[shard] as number) - writeBytes;
    this.evictionsInFlight[shard] = (this.evictionsInFlight[shard] as number) - evictBytes;
  }

  /**
   * Moves the budget after an RSS sample: up by a small step while RSS has room and the budget
   * is what holds the data back; over `limitBytes`, no higher than the data held now; well
   * over it, a tenth lower.
   */
  adjust(rssBytes: number, limitBytes: number, nowMs: number): void {
    if (nowMs - this.lastAdjustMs < adjustIntervalMs) return;
    const floor = limitBytes * budgetShareMin;
    const data = this.dataBytes;
    if (rssBytes > limitBytes) {
      this.lastAdjustMs = nowMs;
      // Not below the data held (a little over it: evictions leave it just under the budget,
      // and a budget cut to it each time would ratchet down).
      const held = Math.min(this.budgetBytes, data * (1 + 2 * evictionSlackShare));
      const shrink = rssBytes > limitBytes * shrinkAboveShare;
      this.budgetBytes = Math.max(floor, shrink ? held * shrinkFactor : held);
      this.plan(-1);
    } else if (rssBytes < limitBytes * growBelowShare && data >= this.budgetBytes * 0.95) {
      this.lastAdjustMs = nowMs;
      const room = limitBytes * growBelowShare - rssBytes;
      this.budgetBytes += Math.min(room, limitBytes * growStepShare);
    }
  }

  private expectedBytes(shard: number): number {
    return (
      (this.reported[shard] as number) +
      (this.writesInFlight[shard] as number) -
      (this.evictionsInFlight[shard] as number) -
      (this.owed[shard] as number)
    );
  }

  /** Owes each shard its share of what the data is over the budget; `sender` is the shard
   * whose batch is going now (it carries its share at once). */
  private plan(sender: number): void {
    const total = this.dataBytes;
    if (total <= this.budgetBytes) return;
    const excess = total - this.budgetBytes * (1 - evictionSlackShare);
    let weightSum = 0;
    const weights = this.shards.map((_, i) => {
      const weight = Math.max(0, this.expectedBytes(i)) * this.evictableShare(i);
      weightSum += weight;
      return weight;
    });
    if (weightSum === 0) return;
    const nowMs = performance.now();
    for (let i = 0; i < this.shards.length; i++) {
      const share = (excess * (weights[i] as number)) / weightSum;
      if (share <= 0) continue;
      this.owed[i] = (this.owed[i] as number) + share;
      if (i === sender) continue;
      if (nowMs - (this.evictionOnlyBatchMs[i] as number) < evictionOnlyBatchIntervalMs) continue;
      this.evictionOnlyBatchMs[i] = nowMs;
      (this.shards[i] as ShardHandle).requestEviction();
    }
  }

  /** The share of a shard's data the policy may evict. */
  private evictableShare(shard: number): number {
    if (!this.onlyVolatile) return 1;
    const keys = this.keys[shard] as number;
    return keys === 0 ? 0 : (this.volatileKeys[shard] as number) / keys;
  }
}
