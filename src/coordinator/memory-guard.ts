/**
 * The data memory limit (--max-memory), checked against what the process really uses: its
 * resident set (RSS), which counts every shard's heap, V8's per-entry overhead and buffers, not
 * just key and value bytes. RSS is sampled on a timer (reading it costs a system call); writes
 * since the last sample are added as an estimate so a burst cannot overshoot between samples.
 *
 * What a full server does depends on --eviction-policy (SPEC.md section 8):
 * - noeviction: writes are refused. Only writes: GET, DEL and ROLLBACK keep working on a full
 *   server, so clients can make room.
 * - allkeys-*: nothing is refused; the shards evict to keep their data within a budget that
 *   follows RSS (eviction-budget.ts).
 * - volatile-*: as allkeys-*, evicting only keys with an expiry; writes are refused, as under
 *   noeviction, once RSS is over the limit and no shard has a key with an expiry left.
 *
 * RSS falls only once V8 has collected what DEL freed, and an idle shard allocates nothing that
 * would start a collection: measured (256mb limit, 10 MiB values, all deleted), writes stayed
 * refused for ~12 s until V8's memory reducer ran. So when a write is refused, the guard asks
 * every thread to collect now (`onFull`, at most once per `reclaimIntervalMs`), and the next
 * sample sees what DELs freed. We prefer that to counting live bytes ourselves, because a count
 * of key and value bytes is exactly what misses V8's overhead. A burst is refused once the
 * estimate since the last sample would pass the limit, even if the next sample shows room.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type EvictionPolicy, evictsAnyKey } from '../config/eviction-policies.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { EvictionBudget } from './eviction-budget.js';

/** Estimated resident bytes per stored byte and per entry, between two samples: a value is a
 * V8 string (one or two bytes per character) plus a Map entry (FINDINGS.md: ~176 bytes per
 * 16-byte key with a 32-byte value). Erring high only refuses writes a few ms early. */
const estimatedBytesPerWrittenByte = 2;
const estimatedBytesPerEntry = 128;
const sampleIntervalMs = 50;
/** A full collection of every heap costs milliseconds of pause: at most one per second. */
const reclaimIntervalMs = 1_000;
/**
 * Under this --max-memory, V8 favours memory over speed in every thread: young generations
 * keep the size they start with (semi-space growth factor 1; under a write load they grow to
 * 32 MiB on the main thread and 16 MiB a shard), and --optimize-for-size (smaller heap growth
 * steps, among others). A small limit cannot spare that memory: 1 GiB of 1 KiB writes from 20
 * clients into a 128 MiB limit peaked at 196-214 MiB of RSS with V8's defaults, 153-164 with
 * the growth factor alone, 148-151 with both (median 133-135; test/eviction/
 * memory-bound.test.ts). Above it the speed is worth the memory: with small young generations
 * everything a shard writes reaches its old generation, and a cache of a few hundred MiB was
 * collected so often that writes went 3 times slower (512 MiB limit).
 */
const smallLimitBytes = 256 * 1024 * 1024;
/**
 * How far V8 lets an old generation grow past what survived its last full collection before it
 * collects again, in per cent (V8's own factor is up to 300 % for heaps this size). Shards'
 * old generations are the data: 200k keys of 100 B (~22 MiB live a shard) grew to 85-88 MiB
 * each after 30 s of 40 clients writing and committing, the process from 165 to 386 MiB of RSS;
 * at 30 % they stay at ~30 MiB and the process at ~236 (1.44x; 60 %: ~246, 1.51x;
 * bench/memory/run.js). What it costs, server CPU per operation in alternating runs on 2 shared
 * cores: nothing beyond noise at P=16 9:1 and in the write and commit mix (100 B values), about
 * 8 % more with 1 KiB values written 1:1 at P=16 (60 %: ~4 %), where each full collection marks
 * a larger live heap. A V8 flag is process-wide and read at every collection: set once, it
 * holds for every thread, restarted shards included.
 */
const oldGenerationGrowthPercent = 30;
// Not capped here: the main thread's young generation, the largest growth left under that load
// (5.8 -> 52 MiB resident; its garbage dies young, but V8 grows a busy young generation to its
// maximum). A --max-semi-space-size given at run time did not bound it reliably (Node 24: 4
// held it at 26 MiB in one run, 5 not at all), and given at start it also overrides the shard
// threads' resourceLimits (src/config/bounds.ts): 4 MiB brought that load to ~196 MiB (1.2x of
// loaded) but cost 15-20 % more CPU per write. bench/memory/ measures it.
// Not done either: collecting in every thread whenever RSS passes 90 % of a noeviction limit
// (not only when a write is refused). A 1 KiB loader then filled 68-75 % of the room the idle
// process leaves instead of 55-58 %, but the full collections' compaction let RSS at refusal
// reach 284-289 MiB under 256 MiB (test/integration/limits-memory: RSS < limit + 32 MiB failed
// in 1 of 3 CI runs and 1 of 8 local ones; without it 257-271 MiB in 10 of 10).

// The main thread's own garbage (socket chunks, batches) counts in RSS too. The flag only
// installs `gc` in contexts made after it is set, hence the new context.
setFlagsFromString('--expose-gc');
setFlagsFromString(`--heap-growing-percent=${oldGenerationGrowthPercent}`);
const gc = runInNewContext('gc') as (options: object) => void;
/** The last-resort flavour gives freed pages back at once (workers/shard-worker.ts). */
const collectMainGarbage = () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });

/** A young-generation collection of the main thread: frees the socket chunks it just read and
 * dropped (src/net/connection.ts, an over-long line). V8 collects for memory held outside its
 * heap only past ~64 MiB more than at its last collection, so without this a client sending a
 * line far over --max-line-bytes made RSS grow 74-90 MiB while it was dropped
 * (test/integration/limits-line). */
export const collectYoungGarbage = () => gc({ type: 'minor' });

export interface MemoryGuardOptions {
  limitBytes: number;
  policy: EvictionPolicy;
  shards: readonly ShardHandle[];
  /** Asks the shards to collect garbage; called when the server is full. */
  onFull: () => void;
}

export class MemoryGuard {
  /** CONFIG SET maxmemory moves it while serving (src/config/config-set.ts). */
  limitBytes: number;
  private rssBytes = process.memoryUsage.rss();
  private estimatedSinceSampleBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onFull: () => void;
  private lastReclaimMs = 0;
  readonly policy: EvictionPolicy;
  /** The shards' data budget; null under noeviction. */
  readonly budget: EvictionBudget | null;

  constructor(options: MemoryGuardOptions) {
    this.limitBytes = options.limitBytes;
    this.onFull = options.onFull;
    this.policy = options.policy;
    this.budget = null;
    if (this.limitBytes < smallLimitBytes) {
      setFlagsFromString('--semi-space-growth-factor=1');
      setFlagsFromString('--optimize-for-size');
    }
    if (options.policy !== 'noeviction') {
      // What the process holds besides data is unknown until it runs: start at half the room
      // left now, and let RSS move it (eviction-budget.ts).
      const room = Math.max(0, this.limitBytes - this.rssBytes);
      this.budget = new EvictionBudget(options.shards, options.policy, room / 2);
      for (const shard of options.shards) shard.meter = this.budget;
    }
    this.timer = setInterval(() => this.sample(), sampleIntervalMs);
    this.timer.unref();
  }

  /** True when `bytes` more (see `estimate`) would take the process past the limit and the
   * policy cannot make room by evicting. */
  wouldExceed(bytes: number): boolean {
    if (this.budget !== null && evictsAnyKey(this.policy)) return false;
    const exceeds = this.rssBytes + this.estimatedSinceSampleBytes + bytes > this.limitBytes;
    // volatile-*: refused only once no key with an expiry is left to evict.
    if (!exceeds || (this.budget !== null && this.budget.volatileKeyCount > 0)) return false;
    this.reclaim();
    return true;
  }

  private reclaim(): void {
    const now = Date.now();
    if (now - this.lastReclaimMs < reclaimIntervalMs) return;
    this.lastReclaimMs = now;
    collectMainGarbage();
    this.onFull();
  }

  /** Counts a write that was let through, until the next sample sees it in RSS. */
  noteWrite(bytes: number): void {
    this.estimatedSinceSampleBytes += bytes;
  }

  /** Estimated bytes a write of this many key and value bytes adds. */
  static estimate(keyAndValueBytes: number, entries: number): number {
    return keyAndValueBytes * estimatedBytesPerWrittenByte + entries * estimatedBytesPerEntry;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    this.rssBytes = process.memoryUsage.rss();
    this.estimatedSinceSampleBytes = 0;
    if (this.budget === null) return;
    this.budget.adjust(this.rssBytes, this.limitBytes, performance.now());
    // Evicted data is garbage until V8 collects it: over the limit, collect now.
    if (this.rssBytes > this.limitBytes) this.reclaim();
  }
}
