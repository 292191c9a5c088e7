/**
 * The data of one shard: a Map from key to value, owned by exactly one thread, and the undo
 * records of commits in flight.
 *
 * Only the shard's own thread touches this Map, so no operation here needs a lock; the
 * coordinator's locks (main thread) keep other clients away from a commit's keys until every
 * shard of the commit has acknowledged. An undo record holds each key's value from before a
 * commit wrote it, so that when another shard of the same commit fails, this shard's part can
 * be taken back and nothing of the commit stays applied.
 */

/** undefined: the key did not exist before the commit. */
type UndoRecord = Array<[key: string, previous: string | undefined]>;

export class ShardStore {
  private readonly data = new Map<string, string>();
  private readonly undoRecords = new Map<number, UndoRecord>();
  private openUndo: UndoRecord | null = null;

  get size(): number {
    return this.data.size;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  put(key: string, value: string): void {
    this.data.set(key, value);
  }

  delete(key: string): void {
    this.data.delete(key);
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
    this.openUndo.push([key, this.data.get(key)]);
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, value);
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
    for (let i = record.length - 1; i >= 0; i--) {
      const [key, previous] = record[i] as [string, string | undefined];
      if (previous === undefined) this.data.delete(key);
      else this.data.set(key, previous);
    }
    this.undoRecords.delete(txId);
  }
}
