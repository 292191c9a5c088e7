/**
 * Key locks for commits (two-phase locking). Lives on the main thread, which alone decides
 * what reaches the shards, so a lock here keeps every other client away from a key on every
 * shard.
 *
 * Keys are locked by stripe: a key's stripe is the low bits of its hash (ShardRouter), and
 * locking a stripe locks every key in it. Two keys that share a stripe only ever make one
 * wait for the other a little longer; nothing is missed, because a key is always behind the
 * same stripe. With 65,536 stripes and a few hundred locks held at a time, a key hits a stripe
 * locked for another key about 0.3 % of the time. In exchange a lock is a slot in a typed
 * array: no key string, no Map entry made and deleted per key per commit, which cost 12 % of
 * the main thread's JavaScript time in the transaction mix (--cpu-prof, bench/run.ts --tx 4).
 *
 * - A commit locks the stripes of its write set, one at a time, in one global order (ShardRouter
 *   makes the lock order: shard, then stripe), so two commits can never wait on each other in
 *   a cycle.
 * - A single command on a locked stripe waits behind the lock, in arrival order with any
 *   commits queued there, so no client reads a key between a commit's lock and its release.
 * - A client idling inside an open transaction holds no lock: locks exist only while a COMMIT
 *   is in flight.
 */

/** How many stripes there are: a power of two, the mask below keeps that many hash bits. */
export const lockStripeCount = 1 << 16;
export const lockStripeMask = lockStripeCount - 1;

type Waiter =
  | { kind: 'commit'; txId: number; grant: () => void }
  | { kind: 'command'; run: () => void };

export class LockTable {
  /** The transaction holding each stripe; 0 when it is free (transaction ids start at 1 and
   * stay below 2^31, see Coordinator). */
  private readonly owners = new Int32Array(lockStripeCount);
  /** Who waits for a held stripe, in arrival order; only stripes someone waits for. */
  private readonly waiters = new Map<number, Waiter[]>();
  private held = 0;

  /** Stripes locked right now (zero whenever no commit is in flight). */
  get size(): number {
    return this.held;
  }

  isLocked(stripe: number): boolean {
    return this.owners[stripe] !== 0;
  }

  /** Runs `run` once the stripe is free; it must not check the lock again, its turn has come. */
  waitUntilFree(stripe: number, run: () => void): void {
    if (this.owners[stripe] === 0) {
      run();
      return;
    }
    this.enqueue(stripe, { kind: 'command', run });
  }

  /** Locks `stripes` (distinct, in the global lock order) for `txId`, one by one, waiting
   * where one is held, then calls `granted`. */
  acquireAll(txId: number, stripes: readonly number[], granted: () => void): void {
    this.acquireFrom(txId, stripes, 0, granted);
  }

  /** Releases the commit's locks. Commands queued on a stripe run first, in order, up to the
   * next queued commit, which then owns the stripe. */
  releaseAll(txId: number, stripes: readonly number[]): void {
    for (const stripe of stripes) this.release(txId, stripe);
  }

  private acquireFrom(
    txId: number,
    stripes: readonly number[],
    from: number,
    granted: () => void,
  ): void {
    for (let next = from; next < stripes.length; next++) {
      const stripe = stripes[next] as number;
      const owner = this.owners[stripe];
      if (owner === 0) {
        this.owners[stripe] = txId;
        this.held++;
        continue;
      }
      if (owner === txId) throw new Error(`commit ${txId} locked stripe ${stripe} twice`);
      const grant = () => this.acquireFrom(txId, stripes, next + 1, granted);
      this.enqueue(stripe, { kind: 'commit', txId, grant });
      return;
    }
    granted();
  }

  private enqueue(stripe: number, waiter: Waiter): void {
    const queue = this.waiters.get(stripe);
    if (queue === undefined) this.waiters.set(stripe, [waiter]);
    else queue.push(waiter);
  }

  private release(txId: number, stripe: number): void {
    if (this.owners[stripe] !== txId) {
      throw new Error(`commit ${txId} released stripe ${stripe}, which it does not hold`);
    }
    const queue = this.waiters.get(stripe);
    if (queue === undefined) {
      this.owners[stripe] = 0;
      this.held--;
      return;
    }
    const ready: Array<() => void> = [];
    let nextOwner: Waiter | undefined = queue.shift();
    while (nextOwner?.kind === 'command') {
      ready.push(nextOwner.run);
      nextOwner = queue.shift();
    }
    if (queue.length === 0) this.waiters.delete(stripe);
    if (nextOwner === undefined) {
      this.owners[stripe] = 0;
      this.held--;
    } else {
      // The stripe passes straight to the next commit: it stays held.
      this.owners[stripe] = nextOwner.txId;
    }
    for (const run of ready) run();
    if (nextOwner !== undefined) nextOwner.grant();
  }
}
