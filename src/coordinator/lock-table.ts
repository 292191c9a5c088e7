/**
 * Key locks for commits (two-phase locking). Lives on the main thread, which alone decides
 * what reaches the shards, so a lock here keeps every other client away from a key on every
 * shard.
 *
 * - A commit locks every key of its write set, one at a time, in one global order (shard index,
 *   then key bytes), so two commits can never wait on each other in a cycle.
 * - A single command on a locked key waits behind the lock, in arrival order with any commits
 *   queued there, so no client reads a key between a commit's lock and its release.
 * - A client idling inside an open transaction holds no lock: locks exist only while a COMMIT
 *   is in flight.
 *
 * Keys are identified by their bytes as a latin1 string (one char per byte), which compares
 * exactly like the bytes.
 */

type Waiter =
  | { kind: 'commit'; txId: number; grant: () => void }
  | { kind: 'command'; run: () => void };

interface Lock {
  ownerTxId: number;
  waiters: Waiter[];
}

export class LockTable {
  private readonly locks = new Map<string, Lock>();

  /** Locks held right now (zero whenever no commit is in flight). */
  get size(): number {
    return this.locks.size;
  }

  isLocked(keyId: string): boolean {
    return this.locks.has(keyId);
  }

  /** Runs `run` once the key is free; it must not check the lock again, its turn has come. */
  waitUntilFree(keyId: string, run: () => void): void {
    const lock = this.locks.get(keyId);
    if (lock === undefined) {
      run();
      return;
    }
    lock.waiters.push({ kind: 'command', run });
  }

  /** Locks `keyIds` (already in the global order) for `txId`, one by one, waiting where a key
   * is held, then calls `granted`. */
  acquireAll(txId: number, keyIds: readonly string[], granted: () => void): void {
    let next = 0;
    const step = (): void => {
      while (next < keyIds.length) {
        const keyId = keyIds[next++] as string;
        const lock = this.locks.get(keyId);
        if (lock === undefined) {
          this.locks.set(keyId, { ownerTxId: txId, waiters: [] });
          continue;
        }
        if (lock.ownerTxId === txId) throw new Error(`commit ${txId} locked ${keyId} twice`);
        lock.waiters.push({ kind: 'commit', txId, grant: step });
        return;
      }
      granted();
    };
    step();
  }

  /** Releases the commit's locks. Commands queued on a key run first, in order, up to the next
   * queued commit, which then owns the key. */
  releaseAll(txId: number, keyIds: readonly string[]): void {
    for (const keyId of keyIds) this.release(txId, keyId);
  }

  private release(txId: number, keyId: string): void {
    const lock = this.locks.get(keyId);
    if (lock === undefined || lock.ownerTxId !== txId) {
      throw new Error(`commit ${txId} released ${keyId}, which it does not hold`);
    }
    const ready: Array<() => void> = [];
    let nextOwner: Waiter | undefined = lock.waiters.shift();
    while (nextOwner?.kind === 'command') {
      ready.push(nextOwner.run);
      nextOwner = lock.waiters.shift();
    }
    if (nextOwner === undefined) {
      this.locks.delete(keyId);
    } else {
      lock.ownerTxId = nextOwner.txId;
    }
    for (const run of ready) run();
    if (nextOwner !== undefined) nextOwner.grant();
  }
}
