/**
 * Loads the snapshot file at start, before the server listens (SPEC.md section 9). The file
 * streams through the RDB reader (workers/rdb/rdb-reader.ts) a chunk at a time; each key goes
 * to the shard the router picks for it, exactly as a write would, so a snapshot written with
 * any shard count (or by Redis) loads into any other. Keys whose expiry time has passed are
 * dropped, as Redis drops them when it loads as a primary.
 *
 * A file that cannot be loaded (cut short, a bad checksum, a type Haus cannot hold) stops the
 * start with an error naming the file and what is wrong; nothing is written to it then, so it
 * stays exactly as it was for the operator to inspect. A missing file is an empty start.
 *
 * Memory: the reader holds one chunk and one entry; what is sent and not yet applied by the
 * shards is bounded by `loadEntriesInFlightMax`.
 */
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { readRdbEntryBatches } from '../../workers/rdb/rdb-reader.js';
import { CommandCode } from '../commands/command-codes.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode } from '../shards/shard-messages.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { describeFileError, temporaryPathOf } from './snapshot-file.js';

/** Bytes read from the file at a time. */
const readChunkBytes = 1024 * 1024;
/** Keys sent to the shards and not yet applied before reading waits for them. */
const loadEntriesInFlightMax = 200_000;
// The flag only installs `gc` in contexts made after it is set, hence the new context (as in
// memory-guard.ts); it does not change how V8 collects.
setFlagsFromString('--expose-gc');
const collectMainGarbage = runInNewContext('gc') as () => void;

/** Keys up to this long are hashed from a reused buffer. */
const scratchBytes = 64 * 1024;
/** A progress line at least this often while a big file loads. */
const progressLogMs = 2_000;

export interface LoadReport {
  keysLoaded: number;
  /** Keys in the file whose expiry time had passed: not loaded. */
  keysExpired: number;
  bytes: number;
  elapsedMs: number;
}

export interface LoadOptions {
  path: string;
  shards: readonly ShardHandle[];
  router: ShardRouter;
  logger: Logger;
}

/** A snapshot that cannot be loaded: the server must not start. */
export class SnapshotLoadError extends Error {
  override readonly name = 'SnapshotLoadError';
}

/** Loads the file into the shards; null when there is no file (an empty start). */
export async function loadSnapshot(options: LoadOptions): Promise<LoadReport | null> {
  const { path, logger } = options;
  await removeLeftoverTemporary(path, logger);
  let fileBytes: number;
  try {
    fileBytes = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      logger.info({ file: path }, 'no snapshot file yet: starting empty');
      return null;
    }
    throw refusal(path, describeFileError('read', path, error));
  }
  logger.info({ file: path, bytes: fileBytes }, 'loading snapshot');
  const loader = new ShardLoader(options);
  const startedAt = performance.now();
  let lastProgressAt = startedAt;
  const stream = createReadStream(path, { highWaterMark: readChunkBytes });
  try {
    for await (const batch of readRdbEntryBatches(stream)) {
      await loader.load(batch);
      const now = performance.now();
      if (now - lastProgressAt >= progressLogMs) {
        lastProgressAt = now;
        logger.info(
          { file: path, bytesRead: stream.bytesRead, bytes: fileBytes, keys: loader.keysLoaded },
          'loading snapshot: progress',
        );
      }
    }
    await loader.drained();
    await loader.collectGarbage();
  } catch (error) {
    stream.destroy();
    await loader.drained().catch(() => {});
    if (error instanceof SnapshotLoadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const detail =
      error instanceof Error && error.name === 'RdbError'
        ? error.message
        : code !== undefined
          ? describeFileError('read', path, error)
          : String(error);
    throw refusal(path, detail);
  }
  const report: LoadReport = {
    keysLoaded: loader.keysLoaded,
    keysExpired: loader.keysExpired,
    bytes: fileBytes,
    elapsedMs: Math.round(performance.now() - startedAt),
  };
  logger.info({ file: path, ...report }, 'snapshot loaded');
  return report;
}

function refusal(path: string, detail: string): SnapshotLoadError {
  return new SnapshotLoadError(
    `cannot load snapshot file ${path}: ${detail.replace(/\.$/, '')}. Haus did not start ` +
      'and left the file unchanged: repair or move it (or start without --snapshot-file to ' +
      'start empty)',
  );
}

/** A temporary file left by a snapshot a crash interrupted: never complete, so it goes. */
async function removeLeftoverTemporary(path: string, logger: Logger): Promise<void> {
  const temporary = temporaryPathOf(path);
  try {
    await stat(temporary);
  } catch {
    return;
  }
  logger.warn({ file: temporary }, 'removing the unfinished snapshot a crash left behind');
  await rm(temporary, { force: true });
}

/** Sends entries to their shards: per shard and chunk of the file, one restoreMany command
 * carrying all of them, so a key costs no reply and no operation row of its own (loading 1M
 * keys spent most of its time on those when each key was a command). */
class ShardLoader {
  keysLoaded = 0;
  keysExpired = 0;
  private unanswered = 0;
  private failedShard = -1;
  /** Resolves load()'s wait once half of loadEntriesInFlightMax is left unanswered. */
  private onHalfway: (() => void) | null = null;
  private readonly options: LoadOptions;
  /** A key's bytes for the router's hash, without a Buffer per key. */
  private readonly scratch = Buffer.allocUnsafe(scratchBytes);

  constructor(options: LoadOptions) {
    this.options = options;
  }

  async load(batch: readonly RdbEntry[]): Promise<void> {
    const now = Date.now();
    const byShard: RdbEntry[][] = this.options.shards.map(() => []);
    for (const entry of batch) {
      if (entry.expireAtMs !== 0 && entry.expireAtMs <= now) {
        this.keysExpired++;
        continue;
      }
      (byShard[this.shardOf(entry.key)] as RdbEntry[]).push(entry);
    }
    byShard.forEach((entries, index) => {
      if (entries.length > 0) this.send(index, entries);
    });
    // Waits only until the shards are halfway through what they have, not until they are
    // idle: they keep working while the next chunks are read and routed.
    if (this.unanswered >= loadEntriesInFlightMax) {
      await new Promise<void>((resolve) => {
        this.onHalfway = resolve;
      });
    }
  }

  /** Waits until the shards have applied everything sent. */
  async drained(): Promise<void> {
    await Promise.all(this.options.shards.map((shard) => shard.whenIdle()));
    if (this.failedShard !== -1) {
      throw new SnapshotLoadError(
        `shard ${this.failedShard} failed while the snapshot loaded (its keys were lost)`,
      );
    }
  }

  /** Has every shard collect its garbage now: what loading left (the strings parsed, the
   * batches) would otherwise stay resident until enough writes make V8 collect. */
  async collectGarbage(): Promise<void> {
    collectMainGarbage();
    for (const shard of this.options.shards) {
      shard.batch.addControlOp(OpCode.collectGarbage, 0, 0, null);
      shard.scheduleFlush();
    }
    await this.drained();
  }

  /** The shard a write of `key` goes to (the router hashes its bytes). */
  private shardOf(key: string): number {
    const router = this.options.router;
    const bytes = key.length <= scratchBytes ? this.scratch : Buffer.from(key, 'latin1');
    const length = bytes === this.scratch ? this.scratch.write(key, 0, 'latin1') : bytes.length;
    return router.shardOfStripe(router.stripeOf(bytes, 0, length));
  }

  private send(index: number, entries: readonly RdbEntry[]): void {
    const shard = this.options.shards[index] as ShardHandle;
    const expiries = entries.map((entry) => String(entry.expireAtMs));
    let total = 0;
    entries.forEach((entry, i) => {
      total += entry.key.length + entry.value.length + (expiries[i] as string).length;
    });
    // [key, value, expiry ms] per entry, in one buffer: CommandCode.restoreMany's arguments.
    const bytes = Buffer.allocUnsafe(total);
    const starts = new Int32Array(entries.length * 3);
    const ends = new Int32Array(entries.length * 3);
    let at = 0;
    entries.forEach((entry, i) => {
      const fields = [entry.key, entry.value, expiries[i] as string];
      for (let field = 0; field < 3; field++) {
        starts[i * 3 + field] = at;
        at += bytes.write(fields[field] as string, at, 'latin1');
        ends[i * 3 + field] = at;
      }
    });
    const count = entries.length;
    const answered = () => {
      this.unanswered -= count;
      if (this.onHalfway !== null && this.unanswered < loadEntriesInFlightMax / 2) {
        const resume = this.onHalfway;
        this.onHalfway = null;
        resume();
      }
    };
    const sink = {
      resolve: answered,
      reject: () => {
        this.failedShard = index;
        answered();
      },
    };
    shard
      .batchFor(total + 4 * 3 * count, 0)
      .addCommandOp(CommandCode.restoreMany, false, { bytes, starts, ends }, 0, 3 * count, sink);
    this.unanswered += count;
    this.keysLoaded += count;
    shard.scheduleFlush();
  }
}
