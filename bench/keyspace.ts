/**
 * Names and values of the bench's keys. Key i is `k` followed by i in zero-padded decimal,
 * `keyBytes` long; its value is the key itself followed by filler up to `valueBytes`. Because
 * the value depends only on the key, every GET of a key the bench wrote has exactly one right
 * answer, however PUTs from other connections interleave: that is what lets the client verify
 * each GET (the right key's value, the right length) without tracking what was written.
 */

import type { ProtocolCodec } from './protocols/codec.js';

const LETTER_K = 0x6b;
const DIGIT_ZERO = 0x30;
const FILLER = 'x';

export interface KeyspaceShape {
  keys: number;
  keyBytes: number;
  valueBytes: number;
}

export class Keyspace {
  readonly keys: number;
  readonly keyBytes: number;
  readonly valueBytes: number;
  private readonly digits: number;
  private readonly filler: string;

  constructor(shape: KeyspaceShape) {
    const error = keyspaceError(shape);
    if (error !== null) throw new RangeError(error);
    this.keys = shape.keys;
    this.keyBytes = shape.keyBytes;
    this.valueBytes = shape.valueBytes;
    this.digits = shape.keyBytes - 1;
    this.filler = FILLER.repeat(shape.valueBytes - shape.keyBytes);
  }

  key(index: number): string {
    return `k${String(index).padStart(this.digits, '0')}`;
  }

  value(index: number): string {
    return this.key(index) + this.filler;
  }

  getCommand(codec: ProtocolCodec, index: number): string {
    return codec.get(this.key(index));
  }

  putCommand(codec: ProtocolCodec, index: number): string {
    return codec.put(this.key(index), this.value(index));
  }

  randomIndex(): number {
    return Math.floor(Math.random() * this.keys);
  }

  /**
   * True when `buf[start, end)` is the value of key `index`: right length, right key at the
   * front, filler at the end. The digits are read in place (a 15-step loop) rather than
   * decoded into a string, since this runs once per GET.
   */
  isValueOf(index: number, buf: Buffer, start: number, end: number): boolean {
    if (end - start !== this.valueBytes || buf[start] !== LETTER_K) return false;
    if (end - start > this.keyBytes && buf[end - 1] !== FILLER.charCodeAt(0)) return false;
    let found = 0;
    for (let pos = start + 1; pos < start + this.keyBytes; pos += 1) {
      const digit = (buf[pos] ?? 0) - DIGIT_ZERO;
      if (digit < 0 || digit > 9) return false;
      found = found * 10 + digit;
    }
    return found === index;
  }
}

/** Why a shape cannot be used, or null. Shared with the flag checks so messages match. */
export function keyspaceError(shape: KeyspaceShape): string | null {
  const digitsNeeded = String(Math.max(0, shape.keys - 1)).length;
  if (!Number.isInteger(shape.keys) || shape.keys < 1) return '--keys must be an integer >= 1';
  if (shape.keyBytes - 1 < digitsNeeded) {
    return (
      `--key-bytes ${shape.keyBytes} is too short for ${shape.keys} keys ` +
      `(needs at least ${digitsNeeded + 1})`
    );
  }
  if (shape.keyBytes > 16) return '--key-bytes must be <= 16 (digits are read as a safe integer)';
  if (shape.valueBytes < shape.keyBytes) {
    return (
      `--value-bytes ${shape.valueBytes} must be >= --key-bytes ${shape.keyBytes} ` +
      '(a value starts with its key, so a GET can check it got the right one)'
    );
  }
  return null;
}
