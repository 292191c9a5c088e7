/**
 * What crosses between the main thread and a shard thread about a snapshot, typed once for both
 * sides (STYLE.md section 3). These travel on a port of their own (ShardAttachRequest's
 * `snapshotPort`), so a shard's chunks never queue behind client batches. Only the start of a
 * snapshot travels with the batches (OpCode.snapshotBegin): its place among the other
 * operations is what makes the snapshot one point in time.
 *
 * Flow of one snapshot: the main thread sends snapshotBegin to every shard in one turn, under
 * the lock table's exclusive hold; each shard answers it with its counts, then sends its keys
 * as SnapshotChunks while it keeps serving; the main thread appends each to the file and
 * answers SnapshotChunksWritten, which lets the shard send more (at most
 * `snapshotChunksInFlightMax` unanswered); last comes SnapshotPartDone. SnapshotAbort ends a
 * snapshot early (the file could not be written, or another shard failed).
 */

/** Unanswered SnapshotChunks a shard may have: one being written and one waiting. */
export const snapshotChunksInFlightMax = 2;

/** A run of whole RDB entries (the bytes of `chunks`, in order), and their CRC-64: the main
 * thread writes them as they are and combines the CRC, reading none of the bytes. */
export interface SnapshotChunks {
  kind: 'chunks';
  snapshotId: number;
  /** Transferred, not copied; chunk i is `chunks[i]`'s first `lengths[i]` bytes. */
  chunks: ArrayBuffer[];
  lengths: number[];
  crc: bigint;
  lengthBytes: number;
}

/** The main thread has written a SnapshotChunks to the file: the shard may send more. */
export interface SnapshotChunksWritten {
  kind: 'chunks-written';
  snapshotId: number;
}

/** What a shard tells of its part, for the log, INFO and the bench. */
export interface ShardSnapshotReport {
  /** Keys written (live at the snapshot's moment). */
  keys: number;
  /** Of those, keys written before their turn because a write was about to change them. */
  keysWrittenEarly: number;
  /** Keys skipped because their expiry time had passed at the snapshot's moment. */
  keysExpired: number;
  bytes: number;
  /** Most bytes of the part held at once: serialized and not yet written to the file. */
  bufferedBytesMax: number;
  /** From snapshotBegin to the last chunk handed over. */
  elapsedMs: number;
}

/** Every key of the shard's part has been sent (and written). */
export interface SnapshotPartDone {
  kind: 'part-done';
  snapshotId: number;
  report: ShardSnapshotReport;
}

/** The shard could not make its part (a bug: it logs nothing itself). */
export interface SnapshotPartFailed {
  kind: 'part-failed';
  snapshotId: number;
  message: string;
}

/** Stop making the part; drop what is not sent. */
export interface SnapshotAbort {
  kind: 'abort';
  snapshotId: number;
}

/** INFO's rdb_changes_since_last_save: how many changes the shard made since it started. */
export interface SnapshotChangesRequest {
  kind: 'changes-request';
}

export interface SnapshotChangesResult {
  kind: 'changes-result';
  changes: number;
}

export type SnapshotToShard = SnapshotChunksWritten | SnapshotAbort | SnapshotChangesRequest;

export type SnapshotFromShard =
  | SnapshotChunks
  | SnapshotPartDone
  | SnapshotPartFailed
  | SnapshotChangesResult
  /** Not sent by the shard: its handle reports that the thread died (it restarts empty). */
  | { kind: 'shard-lost' };

/** What a shard answers to OpCode.snapshotBegin, as a RESP array of integers in this order. */
export interface SnapshotBeginResult {
  /** Keys the shard held at the snapshot's moment (expired ones not yet removed included). */
  keys: number;
  volatileKeys: number;
  /** Changes the shard had made since it started, at that moment. */
  changes: number;
}
