/**
 * Key locks for commits (two-phase locking). Lives on the main thread, which alone decides
 * what reaches the shards, so a lock here keeps every other client away from a key on every
 * shard.
 *
 * - A commit locks every key of its write set, one at a time, in one global order (shard,
 *   stripe, key bytes: Transaction.writesInLockOrder), so two commits can never wait on each
 *   other in a cycle.
 * - A single command on a locked key waits behind the lock, in arrival order with any commits
 *   queued there, so no client reads a key between a commit's lock and its release.
 * - Only the same key makes anyone wait: commits on disjoint keys never wait for each other
 *   (SPEC.md section 4). A client idling inside an open transaction holds no lock: locks exist
 *   only while a COMMIT is in flight.
 *
 * Locks are filed by stripe, the low bits of the key's hash (ShardRouter): a stripe is a slot
 * of a typed array holding the commit that locked a key there, beside that key. Only a stripe
 * where two keys are locked at once keeps a list. So the usual lock is two array writes, and a
 * command whose stripe is free never makes the key's string: filing locks in a Map by key
 * string, entries made and deleted per key per commit, cost 12 % of the main thread's
 * JavaScript time in the transaction mix (--cpu-prof, bench/run.ts --tx 4).
 */

/** How many stripes there are: a power of two, the mask below keeps that many hash bits. */
export const lockStripeCount = 1 << 16;
export const lockStripeMask = lockStripeCount - 1;

/** A key to lock: its stripe and its bytes as a latin1 string (one character a byte). */
export interface LockKey {
  readonly stripe: number;
  readonly keyId: string;
}

/** A key to lock with the shard it lives on (the stripe decides it: ShardRouter). */
export interface PlacedLockKey extends LockKey {
  readonly shard: number;
}

/** The one global lock order every commit and atomic run locks in: shard, stripe, then key
 * bytes. One order for all is what keeps two of them from waiting on each other in a cycle. */
export function compareLockOrder(x: PlacedLockKey, y: PlacedLockKey): number {
  return (
    x.shard - y.shard || x.stripe - y.stripe || (x.keyId < y.keyId ? -1 : x.keyId > y.keyId ? 1 : 0)
  );
}

/** Waits behind an exclusive hold (acquireExclusive): another exclusive hold, or anything that
 * arrived while one was wanted or held. */
type Gated = { exclusive: boolean; run: () => void };

type Waiter =
  | { kind: 'commit'; txId: number; grant: () => void }
  | { kind: 'command'; run: () => void };

interface Holder {
  txId: number;
  keyId: string;
}

/** `owners` values besides a transaction id (ids are 1 .. 2^31 - 1, see Coordinator). */
const free = 0;
const sharedStripe = -1;

export class LockTable {
  /** Per stripe: free, the one transaction holding a key there, or sharedStripe. */
  private readonly owners = new Int32Array(lockStripeCount);
  /** Per stripe held by one transaction: the key it holds there. */
  private readonly soleKeys: Array<string | null> = new Array(lockStripeCount).fill(null);
  /** Stripes where two or more keys are locked: who holds which. */
  private readonly sharedHolders = new Map<number, Holder[]>();
  /** Who waits for a locked key, in arrival order; only keys someone waits for. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Per stripe: how many of its keys have waiters. A release looks a key up in `waiters`
   * only where this is not 0: with thousands of keys locked and a few waited for, that look-up
   * of every released key was about a quarter of releaseAll (12 % -> 8.7 % of the main
   * thread, redis-benchmark -t mset -P 16 -r 100000). */
  private readonly waitedKeys = new Int32Array(lockStripeCount);
  private held = 0;
  /** An exclusive hold: none, wanted (waiting for every key lock to go), or held. */
  private exclusive: 'none' | 'wanted' | 'held' = 'none';
  private wantedExclusive: (() => void) | null = null;
  private readonly gated: Gated[] = [];

  /** Keys locked right now (zero whenever no commit is in flight). */
  get size(): number {
    return this.held;
  }

  /** True while an exclusive hold is wanted or held: every command must wait its turn. */
  get isGated(): boolean {
    return this.exclusive !== 'none';
  }

  /** False when no key of `stripe` is locked: a command there need not name its key. */
  isStripeHeld(stripe: number): boolean {
    return this.owners[stripe] !== free;
  }

  /**
   * The whole keyspace, for commands that read or change every shard (KEYS, DBSIZE,
   * FLUSHALL, a MULTI holding one): waits until no commit holds a key, and lets nothing new
   * start meanwhile, so such a command sees every commit wholly or not at all. `granted` runs
   * once it is held; `releaseExclusive` lets the rest go, in arrival order.
   */
  acquireExclusive(granted: () => void): void {
    if (this.exclusive !== 'none') {
      this.gated.push({ exclusive: true, run: granted });
      return;
    }
    this.exclusive = 'wanted';
    this.wantedExclusive = granted;
    this.grantExclusiveIfFree();
  }

  releaseExclusive(): void {
    if (this.exclusive !== 'held') throw new Error('exclusive hold released while not held');
    this.exclusive = 'none';
    while (this.gated.length > 0 && this.exclusive === 'none') {
      const next = this.gated.shift() as Gated;
      if (next.exclusive) this.acquireExclusive(next.run);
      else next.run();
    }
  }

  private grantExclusiveIfFree(): void {
    if (this.exclusive !== 'wanted' || this.held !== 0) return;
    this.exclusive = 'held';
    const granted = this.wantedExclusive as () => void;
    this.wantedExclusive = null;
    granted();
  }

  /** True when some of `keys` is locked, or an exclusive hold is wanted or held: a command on
   * them must wait its turn. */
  anyLocked(keys: readonly LockKey[]): boolean {
    if (this.isGated) return true;
    if (this.held === 0) return false;
    return keys.some((key) => this.isStripeHeld(key.stripe) && this.isLocked(key));
  }

  isLocked(key: LockKey): boolean {
    return this.holderOf(key.stripe, key.keyId) !== free;
  }

  /** Runs `run` once the key is free; it must not check the lock again, its turn has come. */
  waitUntilFree(key: LockKey, run: () => void): void {
    if (this.exclusive !== 'none') {
      this.gated.push({ exclusive: false, run: () => this.waitUntilFree(key, run) });
      return;
    }
    if (this.holderOf(key.stripe, key.keyId) === free) {
      run();
      return;
    }
    this.enqueue(key.stripe, key.keyId, { kind: 'command', run });
  }

  /** Locks `keys` (distinct, in the global lock order) for `txId`, one by one, waiting where
   * one is held, then calls `granted`. */
  acquireAll(txId: number, keys: readonly LockKey[], granted: () => void): void {
    if (this.exclusive !== 'none') {
      this.gated.push({ exclusive: false, run: () => this.acquireAll(txId, keys, granted) });
      return;
    }
    this.acquireFrom(txId, keys, 0, granted);
  }

  /** Releases the commit's locks. Commands queued on a key run first, in order, up to the
   * next queued commit, which then owns the key. */
  releaseAll(txId: number, keys: readonly LockKey[]): void {
    for (const key of keys) this.release(txId, key.stripe, key.keyId);
    this.grantExclusiveIfFree();
  }

  private acquireFrom(
    txId: number,
    keys: readonly LockKey[],
    from: number,
    granted: () => void,
  ): void {
    for (let next = from; next < keys.length; next++) {
      const { stripe, keyId } = keys[next] as LockKey;
      const holder = this.holderOf(stripe, keyId);
      if (holder === free) {
        this.take(stripe, keyId, txId);
        continue;
      }
      if (holder === txId) throw new Error(`commit ${txId} locked ${keyId} twice`);
      const grant = () => this.acquireFrom(txId, keys, next + 1, granted);
      this.enqueue(stripe, keyId, { kind: 'commit', txId, grant });
      return;
    }
    granted();
  }

  private release(txId: number, stripe: number, keyId: string): void {
    if (this.holderOf(stripe, keyId) !== txId) {
      throw new Error(`commit ${txId} released ${keyId}, which it does not hold`);
    }
    // Nobody waits for any key most of the time: no look-up then.
    const queue =
      this.waiters.size === 0 || this.waitedKeys[stripe] === 0
        ? undefined
        : this.waiters.get(keyId);
    if (queue === undefined) {
      this.drop(stripe, keyId);
      return;
    }
    const ready: Array<() => void> = [];
    let nextOwner: Waiter | undefined = queue.shift();
    while (nextOwner?.kind === 'command') {
      ready.push(nextOwner.run);
      nextOwner = queue.shift();
    }
    if (queue.length === 0) {
      this.waiters.delete(keyId);
      this.waitedKeys[stripe] = (this.waitedKeys[stripe] as number) - 1;
    }
    if (nextOwner === undefined) this.drop(stripe, keyId);
    else this.handOver(stripe, keyId, nextOwner.txId);
    for (const run of ready) run();
    if (nextOwner !== undefined) nextOwner.grant();
  }

  /** The transaction holding `keyId`, or free. */
  private holderOf(stripe: number, keyId: string): number {
    const owner = this.owners[stripe] as number;
    if (owner === free) return free;
    if (owner !== sharedStripe) return this.soleKeys[stripe] === keyId ? owner : free;
    for (const holder of this.sharedHolders.get(stripe) as Holder[]) {
      if (holder.keyId === keyId) return holder.txId;
    }
    return free;
  }

  private take(stripe: number, keyId: string, txId: number): void {
    this.held++;
    const owner = this.owners[stripe] as number;
    if (owner === free) {
      this.owners[stripe] = txId;
      this.soleKeys[stripe] = keyId;
    } else if (owner !== sharedStripe) {
      const sole: Holder = { txId: owner, keyId: this.soleKeys[stripe] as string };
      this.sharedHolders.set(stripe, [sole, { txId, keyId }]);
      this.owners[stripe] = sharedStripe;
      this.soleKeys[stripe] = null;
    } else {
      (this.sharedHolders.get(stripe) as Holder[]).push({ txId, keyId });
    }
  }

  private drop(stripe: number, keyId: string): void {
    this.held--;
    if (this.owners[stripe] !== sharedStripe) {
      this.owners[stripe] = free;
      this.soleKeys[stripe] = null;
      return;
    }
    const holders = (this.sharedHolders.get(stripe) as Holder[]).filter(
      (holder) => holder.keyId !== keyId,
    );
    if (holders.length > 1) {
      this.sharedHolders.set(stripe, holders);
      return;
    }
    const last = holders[0] as Holder;
    this.sharedHolders.delete(stripe);
    this.owners[stripe] = last.txId;
    this.soleKeys[stripe] = last.keyId;
  }

  /** The key passes straight to the next queued commit: it stays locked. */
  private handOver(stripe: number, keyId: string, txId: number): void {
    if (this.owners[stripe] !== sharedStripe) {
      this.owners[stripe] = txId;
      return;
    }
    for (const holder of this.sharedHolders.get(stripe) as Holder[]) {
      if (holder.keyId === keyId) holder.txId = txId;
    }
  }

  private enqueue(stripe: number, keyId: string, waiter: Waiter): void {
    const queue = this.waiters.get(keyId);
    if (queue === undefined) {
      this.waiters.set(keyId, [waiter]);
      this.waitedKeys[stripe] = (this.waitedKeys[stripe] as number) + 1;
    } else {
      queue.push(waiter);
    }
  }
}
