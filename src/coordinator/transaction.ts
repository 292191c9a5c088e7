/**
 * A client's open transaction: the writes it buffered since START, none of them visible to
 * anyone else until COMMIT. Held on the main thread, in the client's session, and holding no
 * lock, so a client idling inside a transaction blocks nobody.
 *
 * Each key keeps only its last buffered write (a later PUT or DEL replaces an earlier one), so
 * the limits count what is really held: distinct keys and their bytes.
 */

import { copyRange } from '../protocol/byte-ranges.js';
import type { WatchSet } from './command-runner.js';
import { compareLockOrder } from './lock-table.js';

export interface BufferedWrite {
  shard: number;
  /** The key's lock stripe (lock-table.ts). */
  stripe: number;
  /** Key bytes as a latin1 string (one character a byte): equal exactly when the bytes are. */
  keyId: string;
  /** The key, then the value (none for a DEL), copied into one buffer: the key is
   * `bytes[0, keyBytes)`, the value `bytes[keyBytes, bytes.length)`. */
  bytes: Buffer;
  keyBytes: number;
  isDel: boolean;
  /** The key's expiry after the commit: -1 none set here (a PUT clears any), 0 cleared
   * (PERSIST), else the time in ms since the epoch (EXPIRE, PEXPIRE). */
  expireAt: number;
  /** Only the expiry changes (EXPIRE or PERSIST of a key the transaction did not write): the
   * value stays what it is at COMMIT, if the key exists then. */
  onlyExpiry: boolean;
}

export type BufferResult = 'buffered' | 'writesLimit' | 'bytesLimit';

export interface TransactionLimits {
  txWritesMax: number;
  txBytesMax: number;
}

export class Transaction {
  readonly writes = new Map<string, BufferedWrite>();
  private bufferedBytes = 0;
  /** Why a write was refused while the transaction was open: its COMMIT then fails whole
   * (SPEC.md section 4, Redis's EXECABORT rule). Null while none was. */
  doomedBy: string | null = null;

  /** START SERIALIZABLE: the keys the transaction touched, watched from their first touch;
   * null for plain START (read committed). */
  constructor(readonly watch: WatchSet | null = null) {}

  /** Buffers the write unless it would pass a limit; then nothing changes. */
  buffer(write: BufferedWrite, limits: TransactionLimits): BufferResult {
    const previous = this.writes.get(write.keyId);
    if (previous === undefined && this.writes.size >= limits.txWritesMax) return 'writesLimit';
    const bytesAfter = this.bufferedBytes - sizeOf(previous) + sizeOf(write);
    if (bytesAfter > limits.txBytesMax) return 'bytesLimit';
    this.writes.set(write.keyId, write);
    this.bufferedBytes = bytesAfter;
    return 'buffered';
  }

  /** True when some buffered write is a PUT (a commit of only DELs needs no memory). */
  get hasPuts(): boolean {
    for (const write of this.writes.values()) if (!write.isDel) return true;
    return false;
  }

  read(keyId: string): BufferedWrite | undefined {
    return this.writes.get(keyId);
  }

  get bytes(): number {
    return this.bufferedBytes;
  }

  /** The write set in the global lock order: shard, stripe (ShardRouter: the stripe decides
   * the shard), then key bytes. Writes to one shard are next to each other. */
  writesInLockOrder(): BufferedWrite[] {
    return [...this.writes.values()].sort(compareLockOrder);
  }
}

/**
 * A write as a transaction buffers it: a PUT of `source[valueStart, valueEnd)` under the key
 * `source[keyStart, keyEnd)`, or a DEL of the key when `valueStart` is -1. Key and value are
 * copied into one buffer: the write outlives the socket chunk they arrived in, and one
 * allocation per write is cheaper than two (bench/run.ts, the transaction mix). allocUnsafe +
 * copy: Buffer.copyBytesFrom took three times as long.
 */
export function bufferedWrite(
  source: Buffer,
  keyStart: number,
  keyEnd: number,
  valueStart: number,
  valueEnd: number,
  place: { shard: number; stripe: number; keyId: string },
): BufferedWrite {
  const keyBytes = keyEnd - keyStart;
  const isDel = valueStart < 0;
  const bytes = Buffer.allocUnsafe(keyBytes + (isDel ? 0 : valueEnd - valueStart));
  copyRange(source, keyStart, keyEnd, bytes, 0);
  if (!isDel) copyRange(source, valueStart, valueEnd, bytes, keyBytes);
  const { shard, stripe, keyId } = place;
  return { shard, stripe, keyId, bytes, keyBytes, isDel, expireAt: -1, onlyExpiry: false };
}

function sizeOf(write: BufferedWrite | undefined): number {
  if (write === undefined) return 0;
  return write.bytes.length;
}
