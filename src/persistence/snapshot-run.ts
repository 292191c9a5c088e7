/**
 * One snapshot, from its moment to the renamed file (SPEC.md section 9). The main thread only
 * coordinates: it picks the moment, writes the RDB header and footer, appends the shards'
 * chunks as they come and combines their CRCs; every key and value is serialized by the shard
 * that owns it (workers/shard-snapshot.ts), all shards at once.
 *
 * The moment: under the lock table's exclusive hold (which waits until no commit holds a key
 * and lets nothing new start), every shard gets OpCode.snapshotBegin in the same event-loop
 * turn, and the hold is released in that turn. Each shard runs its operations in the order the
 * main thread queued them, so on every shard the part starts at the same point between
 * commits: a commit is in every part (it was acknowledged by all its shards before the hold)
 * or in none (it was sent after). Single commands are ordered the same way.
 *
 * The file: the shards' chunks are whole RDB entries, appended in the order they arrive, so
 * the parts of different shards interleave; RDB has no key order, and the checksum is combined
 * in that same order (crc64Concat). Header, chunks, footer, then fsync and rename
 * (snapshot-file.ts).
 */

import { type Crc64Part, crc64Concat, crc64Part } from '../../workers/rdb/crc64-combine.js';
import { rdbFooter, rdbHeader } from '../../workers/rdb/rdb-writer.js';
import type { LockTable } from '../coordinator/lock-table.js';
import { arrayElements, integerOf } from '../protocol/resp-reply-reader.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode } from '../shards/shard-messages.js';
import { SnapshotFile } from './snapshot-file.js';
import type {
  ShardSnapshotReport,
  SnapshotBeginResult,
  SnapshotChunks,
  SnapshotFromShard,
} from './snapshot-messages.js';

export interface SnapshotRunOptions {
  snapshotId: number;
  path: string;
  shards: readonly ShardHandle[];
  locks: LockTable;
}

export type SnapshotOutcome =
  | {
      ok: true;
      /** When the snapshot's moment was (ms since the epoch). */
      momentMs: number;
      /** Changes the shards had made at that moment (for rdb_changes_since_last_save). */
      changesAtMoment: number;
      keys: number;
      bytes: number;
      elapsedMs: number;
      shards: ShardSnapshotReport[];
    }
  | { ok: false; message: string; elapsedMs: number };

/** Runs one snapshot; never rejects (a failure is an outcome with a message). */
export function runSnapshot(options: SnapshotRunOptions): Promise<SnapshotOutcome> {
  return new SnapshotRun(options).run();
}

/** Receives the shards' snapshot messages while the run lasts (SnapshotService routes them). */
export interface SnapshotListener {
  onShardMessage(shard: number, message: SnapshotFromShard): void;
}

export class SnapshotRun implements SnapshotListener {
  private readonly options: SnapshotRunOptions;
  private readonly startedAt = performance.now();
  private file: SnapshotFile | null = null;
  /** CRC parts in file order: the header, then each appended chunk run. */
  private readonly parts: Crc64Part[] = [];
  private headerAppended = false;
  /** Chunks that came before the header was appended. */
  private readonly early: Array<{ shard: number; chunks: SnapshotChunks }> = [];
  private readonly reports: ShardSnapshotReport[] = [];
  private partsDone = 0;
  private momentMs = 0;
  private changesAtMoment = 0;
  private settled = false;
  /** Every part is in: what shards do now no longer matters to this snapshot. */
  private finishing = false;
  private settle: (outcome: SnapshotOutcome) => void = () => {};
  private readonly outcome: Promise<SnapshotOutcome>;

  constructor(options: SnapshotRunOptions) {
    this.options = options;
    this.outcome = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get snapshotId(): number {
    return this.options.snapshotId;
  }

  async run(): Promise<SnapshotOutcome> {
    try {
      this.file = await SnapshotFile.create(this.options.path);
    } catch (error) {
      return { ok: false, message: (error as Error).message, elapsedMs: this.elapsedMs() };
    }
    this.begin();
    return this.outcome;
  }

  onShardMessage(shard: number, message: SnapshotFromShard): void {
    if (this.settled || this.finishing) return;
    switch (message.kind) {
      case 'chunks':
        if (message.snapshotId !== this.snapshotId) return;
        if (this.headerAppended) this.appendChunks(shard, message);
        else this.early.push({ shard, chunks: message });
        return;
      case 'part-done':
        if (message.snapshotId !== this.snapshotId) return;
        this.reports[shard] = message.report;
        if (++this.partsDone === this.options.shards.length) void this.finish();
        return;
      case 'part-failed':
        if (message.snapshotId !== this.snapshotId) return;
        this.fail(`shard ${shard} could not serialize its keys: ${message.message}`);
        return;
      case 'shard-lost':
        this.fail(`shard ${shard} failed during the snapshot and restarted empty`);
        return;
      case 'changes-result':
        return;
    }
  }

  /** Starts every shard's part at one point between commits (see the top of this file). */
  private begin(): void {
    const { shards, locks, snapshotId } = this.options;
    const results: SnapshotBeginResult[] = [];
    let unanswered = shards.length;
    const answered = () => {
      if (--unanswered === 0 && !this.settled) this.appendHeader(results);
    };
    locks.acquireExclusive(() => {
      this.momentMs = Date.now();
      shards.forEach((shard, index) => {
        shard.batch.addControlOp(OpCode.snapshotBegin, snapshotId, 0, {
          resolve: (bytes, start, end) => {
            const reply = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
            const [keys, volatileKeys, changes] = arrayElements(reply).map(
              (element) => integerOf(element) ?? 0,
            );
            results[index] = {
              keys: keys ?? 0,
              volatileKeys: volatileKeys ?? 0,
              changes: changes ?? 0,
            };
            answered();
          },
          reject: () => {
            this.fail(`shard ${index} failed as the snapshot began`);
            answered();
          },
        });
        shard.scheduleFlush();
      });
      locks.releaseExclusive();
    });
  }

  private appendHeader(results: readonly SnapshotBeginResult[]): void {
    const header = rdbHeader({
      createdAtMs: this.momentMs,
      usedMemoryBytes: process.memoryUsage.rss(),
      keyCount: results.reduce((sum, result) => sum + result.keys, 0),
      expiringKeyCount: results.reduce((sum, result) => sum + result.volatileKeys, 0),
    });
    this.changesAtMoment = results.reduce((sum, result) => sum + result.changes, 0);
    this.parts.push(crc64Part(header));
    this.append([header], () => {});
    this.headerAppended = true;
    for (const { shard, chunks } of this.early.splice(0)) this.appendChunks(shard, chunks);
  }

  private appendChunks(shard: number, message: SnapshotChunks): void {
    this.parts.push({ crc: message.crc, lengthBytes: message.lengthBytes });
    const views = message.chunks.map((chunk, i) => new Uint8Array(chunk, 0, message.lengths[i]));
    this.append(views, () => {
      const written = { kind: 'chunks-written', snapshotId: this.snapshotId } as const;
      this.options.shards[shard]?.postSnapshot(written);
    });
  }

  private append(chunks: Uint8Array[], written: () => void): void {
    (this.file as SnapshotFile).append(chunks).then(
      () => {
        if (!this.settled) written();
      },
      (error: Error) => this.fail(error.message),
    );
  }

  /** Every part is written: the footer, then fsync and rename. */
  private async finish(): Promise<void> {
    this.finishing = true;
    const file = this.file as SnapshotFile;
    const expectedBytes = crc64Concat(this.parts).lengthBytes;
    if (expectedBytes !== file.lengthBytes) {
      // A chunk went missing or twice between a shard and the file: a bug, and a file that
      // must not replace a good one.
      this.fail(`internal error: ${file.lengthBytes} bytes appended, parts say ${expectedBytes}`);
      return;
    }
    const footer = rdbFooter(crc64Concat(this.parts).crc);
    this.append([footer], () => {});
    try {
      await file.commit();
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    if (this.settled) return;
    this.settled = true;
    this.settle({
      ok: true,
      momentMs: this.momentMs,
      changesAtMoment: this.changesAtMoment,
      keys: this.reports.reduce((sum, report) => sum + report.keys, 0),
      bytes: file.lengthBytes,
      elapsedMs: this.elapsedMs(),
      shards: this.reports,
    });
  }

  /** Stops every shard's part, removes the temporary file; the previous snapshot stays. */
  private fail(message: string): void {
    if (this.settled) return;
    this.settled = true;
    for (const shard of this.options.shards) {
      shard.postSnapshot({ kind: 'abort', snapshotId: this.snapshotId });
    }
    const abandoned = this.file?.abandon() ?? Promise.resolve();
    void abandoned.then(() => this.settle({ ok: false, message, elapsedMs: this.elapsedMs() }));
  }

  private elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}
