/**
 * Snapshots for the server (SPEC.md section 9): loads the file at start, writes one on SAVE and
 * BGSAVE, every --snapshot-interval-s, and on SIGTERM after the clients are drained, and keeps
 * what INFO's Persistence section and LASTSAVE report.
 *
 * One snapshot runs at a time (snapshot-run.ts). A SAVE that arrives while one runs must not be
 * answered by it (its moment may be before writes the client saw acknowledged): it waits for
 * the next one, which starts as soon as the running one ends and serves every request made
 * meanwhile. BGSAVE answers at once, as Redis does (refused while one runs, unless SCHEDULE).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/options.js';
import type { LockTable } from '../coordinator/lock-table.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { type LoadReport, loadSnapshot } from './snapshot-loader.js';
import type { SnapshotFromShard } from './snapshot-messages.js';
import { type SnapshotOutcome, SnapshotRun } from './snapshot-run.js';

export type SnapshotReason = 'SAVE' | 'BGSAVE' | 'interval' | 'shutdown';

/** INFO's Persistence section, in Redis's names where Redis has the field. */
export interface PersistenceFacts {
  changesSinceLastSave: number;
  bgsaveInProgress: boolean;
  lastSaveTimeS: number;
  lastBgsaveStatus: 'ok' | 'err';
  lastBgsaveTimeS: number;
  currentBgsaveTimeS: number;
  saves: number;
  /** Most bytes the shards held serialized and not yet written, in the last snapshot: what
   * Redis reports as its fork's copy-on-write size (rdb_last_cow_size). */
  lastBufferedBytes: number;
  keysLoaded: number;
  keysExpiredAtLoad: number;
}

export interface SnapshotServiceOptions {
  path: string;
  intervalS: number;
  shards: readonly ShardHandle[];
  locks: LockTable;
  logger: Logger;
}

/** A shard that does not answer a changes request within this is counted as unchanged. */
const changesAnswerMsMax = 1_000;

export class SnapshotService {
  readonly path: string;
  private readonly options: SnapshotServiceOptions;
  private readonly logger: Logger;
  private nextSnapshotId = 1;
  private current: SnapshotRun | null = null;
  private running: Promise<SnapshotOutcome> | null = null;
  private queued: Promise<SnapshotOutcome> | null = null;
  private runningSinceMs = 0;
  private lastSaveMs = Date.now();
  private lastStatus: 'ok' | 'err' = 'ok';
  private lastElapsedMs = -1;
  private lastBufferedBytes = 0;
  private saves = 0;
  /** The shards' change count at the moment of the last snapshot that was written (or after
   * the load, as Redis counts from its load). */
  private changesAtLastSave = 0;
  private loaded: LoadReport | null = null;
  private intervalTimer: NodeJS.Timeout | null = null;
  private changesRequest: {
    answers: Array<number | undefined>;
    unanswered: number;
    waiters: Array<(changes: number) => void>;
    timer: NodeJS.Timeout;
  } | null = null;
  private stopped = false;

  constructor(options: SnapshotServiceOptions) {
    this.options = options;
    this.path = options.path;
    this.logger = options.logger;
    options.shards.forEach((shard, index) => {
      shard.onSnapshotMessage = (message) => this.onShardMessage(index, message);
    });
  }

  static fromConfig(
    config: Config,
    parts: { shards: readonly ShardHandle[]; locks: LockTable; logger: Logger },
  ): SnapshotService | null {
    if (config.snapshotFile === '') {
      // Not an error: docker-compose.yml sets an interval, and SNAPSHOT_FILE= turns snapshots
      // off without having to clear it too.
      if (config.snapshotIntervalS > 0) {
        parts.logger.warn(
          { snapshotIntervalS: config.snapshotIntervalS },
          '--snapshot-interval-s is ignored: snapshots are off without --snapshot-file',
        );
      }
      return null;
    }
    return new SnapshotService({
      path: config.snapshotFile,
      intervalS: config.snapshotIntervalS,
      ...parts,
    });
  }

  /** Loads the file at start (before listening); rejects when it cannot be loaded. */
  async load(router: ShardRouter): Promise<void> {
    this.loaded = await loadSnapshot({
      path: this.path,
      shards: this.options.shards,
      router,
      logger: this.logger,
    });
    this.lastSaveMs = Date.now();
    this.changesAtLastSave = await this.countChanges();
  }

  /** Writes a snapshot whose moment is after this call; resolves when it is on disk (or
   * failed). SAVE, the interval and shutdown. */
  save(reason: SnapshotReason): Promise<SnapshotOutcome> {
    if (this.running === null) return this.startNow(reason);
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.startNow(reason);
    });
    return this.queued;
  }

  /** BGSAVE [SCHEDULE]: starts one now, or (SCHEDULE) after the one running. */
  backgroundSave(schedule: boolean): 'started' | 'scheduled' | 'in-progress' {
    if (this.running === null) {
      void this.save('BGSAVE');
      return 'started';
    }
    if (!schedule) return 'in-progress';
    void this.save('BGSAVE');
    return 'scheduled';
  }

  /** LASTSAVE: when the last snapshot was written (or the server started), in seconds. */
  get lastSaveSeconds(): number {
    return Math.floor(this.lastSaveMs / 1000);
  }

  /** INFO's Persistence figures, once the shards have said how many changes they made. */
  facts(done: (facts: PersistenceFacts) => void): void {
    this.changesSince((changes) => {
      done({
        changesSinceLastSave: changes,
        bgsaveInProgress: this.running !== null,
        lastSaveTimeS: this.lastSaveSeconds,
        lastBgsaveStatus: this.lastStatus,
        lastBgsaveTimeS: this.lastElapsedMs < 0 ? -1 : Math.round(this.lastElapsedMs / 1000),
        currentBgsaveTimeS:
          this.running === null ? -1 : Math.round((Date.now() - this.runningSinceMs) / 1000),
        saves: this.saves,
        lastBufferedBytes: this.lastBufferedBytes,
        keysLoaded: this.loaded?.keysLoaded ?? 0,
        keysExpiredAtLoad: this.loaded?.keysExpired ?? 0,
      });
    });
  }

  /** Starts --snapshot-interval-s: a snapshot every N s, when anything changed since. */
  startInterval(): void {
    const intervalS = this.options.intervalS;
    if (intervalS <= 0 || this.intervalTimer !== null) return;
    this.intervalTimer = setInterval(() => {
      if (this.running !== null || this.stopped) return;
      this.changesSince((changes) => {
        if (changes > 0 && this.running === null && !this.stopped) void this.save('interval');
      });
    }, intervalS * 1000);
    this.intervalTimer.unref();
  }

  /** SIGTERM, once the clients are drained: waits for a snapshot in progress, then writes the
   * last one. Rejects when it could not be written (the previous file stays). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.intervalTimer !== null) clearInterval(this.intervalTimer);
    const outcome = await this.save('shutdown');
    if (!outcome.ok) throw new Error(`the last snapshot could not be written: ${outcome.message}`);
  }

  private startNow(reason: SnapshotReason): Promise<SnapshotOutcome> {
    const run = new SnapshotRun({
      snapshotId: this.nextSnapshotId++,
      path: this.path,
      shards: this.options.shards,
      locks: this.options.locks,
    });
    this.current = run;
    this.runningSinceMs = Date.now();
    const running = run.run().then((outcome) => {
      this.current = null;
      this.running = null;
      this.record(reason, outcome);
      return outcome;
    });
    this.running = running;
    return running;
  }

  private record(reason: SnapshotReason, outcome: SnapshotOutcome): void {
    this.lastElapsedMs = outcome.elapsedMs;
    if (!outcome.ok) {
      this.lastStatus = 'err';
      this.logger.error(
        { file: this.path, reason, elapsedMs: outcome.elapsedMs, error: outcome.message },
        'snapshot failed; the previous snapshot file is unchanged',
      );
      return;
    }
    this.lastStatus = 'ok';
    this.saves++;
    this.lastSaveMs = outcome.momentMs;
    this.changesAtLastSave = outcome.changesAtMoment;
    this.lastBufferedBytes = outcome.shards.reduce((sum, shard) => sum + shard.bufferedBytesMax, 0);
    this.logger.info(
      {
        file: this.path,
        reason,
        keys: outcome.keys,
        bytes: outcome.bytes,
        elapsedMs: outcome.elapsedMs,
        keysWrittenEarly: outcome.shards.reduce((sum, shard) => sum + shard.keysWrittenEarly, 0),
        bufferedBytesMax: this.lastBufferedBytes,
      },
      'snapshot written',
    );
  }

  private onShardMessage(shard: number, message: SnapshotFromShard): void {
    if (message.kind === 'changes-result' || message.kind === 'shard-lost') {
      this.onChangesAnswer(shard, message.kind === 'changes-result' ? message.changes : 0);
    }
    this.current?.onShardMessage(shard, message);
  }

  /** Changes the shards made since the last snapshot's moment. */
  private changesSince(done: (changes: number) => void): void {
    this.countChanges().then((total) => done(Math.max(0, total - this.changesAtLastSave)));
  }

  /** The shards' change counts, summed (a request in flight is shared). */
  private countChanges(): Promise<number> {
    return new Promise((resolve) => {
      if (this.changesRequest !== null) {
        this.changesRequest.waiters.push(resolve);
        return;
      }
      const shards = this.options.shards;
      this.changesRequest = {
        answers: shards.map(() => undefined),
        unanswered: shards.length,
        waiters: [resolve],
        timer: setTimeout(() => this.answerChanges(), changesAnswerMsMax),
      };
      // A shard being replaced cannot answer: it counts as unchanged.
      shards.forEach((shard, index) => {
        if (!shard.postSnapshot({ kind: 'changes-request' })) this.onChangesAnswer(index, 0);
      });
    });
  }

  private onChangesAnswer(shard: number, changes: number): void {
    const request = this.changesRequest;
    if (request === null || request.answers[shard] !== undefined) return;
    request.answers[shard] = changes;
    if (--request.unanswered === 0) this.answerChanges();
  }

  private answerChanges(): void {
    const request = this.changesRequest;
    if (request === null) return;
    this.changesRequest = null;
    clearTimeout(request.timer);
    const total = request.answers.reduce((sum: number, changes) => sum + (changes ?? 0), 0);
    for (const waiter of request.waiters) waiter(total);
  }
}
