/**
 * Redis's string commands on one shard's store, with Redis 7.0's options, replies and error
 * texts (SPEC.md section 7). Arity was checked by the main thread (src/commands/); options
 * and values are checked here, as Redis checks them when the command runs (inside MULTI too).
 * Arguments are byte strings (one character a byte).
 */
import {
  addLongDoubles,
  formatLongDouble,
  type LongDouble,
  parseLongDouble,
} from './long-double.js';
import { addIntegers, isInt64Min, parseInteger } from './numbers.js';
import type { RespOut } from './resp-out.js';
import type { ShardStore } from './shard-store.js';

export const errors = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  decrementOverflow: 'ERR decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
  offsetRange: 'ERR offset is out of range',
  tooBig: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  noSuchKey: 'ERR no such key',
  invalidExpire: (command: string) => `ERR invalid expire time in '${command}' command`,
} as const;

/** Largest expiry time Redis accepts, in ms: larger ones overflow its 64-bit arithmetic. */
const expireAtMsMax = Number.MAX_SAFE_INTEGER;

/** Expiry options of SET and GETEX: an absolute time in ms, `keep`, `persist` or none. */
type ExpiryOption = { at: number } | 'keep' | 'persist' | 'none';

/** Parses an expiry amount: a positive integer in `unitMs` ms units, relative unless
 * `absolute`. Returns the expiry time, or an error text. */
function expiryTime(
  text: string,
  unitMs: number,
  absolute: boolean,
  command: string,
): number | string {
  const amount = parseInteger(text);
  if (amount === null) return errors.notInteger;
  if (amount <= 0) return errors.invalidExpire(command);
  const ms = Number(amount) * unitMs + (absolute ? 0 : Date.now());
  if (!Number.isSafeInteger(ms) || ms > expireAtMsMax) return errors.invalidExpire(command);
  return ms;
}

/** SET's and GETEX's EX, PX, EXAT and PXAT. */
function isExpiryOption(option: string): boolean {
  return option === 'EX' || option === 'PX' || option === 'EXAT' || option === 'PXAT';
}

/** The expiry time one of those options gives with its argument, or an error text. */
function expiryOptionTime(option: string, amount: string, command: string): number | string {
  const unitMs = option === 'EX' || option === 'EXAT' ? 1000 : 1;
  return expiryTime(amount, unitMs, option.endsWith('AT'), command);
}

export function runSet(
  store: ShardStore,
  args: string[],
  out: RespOut,
  valueBytesMax: number,
): void {
  const key = args[0] as string;
  const value = args[1] as string;
  // A plain SET never reads the value it replaces (a cache miss a write; see ShardStore's
  // smallReplyBytesMax): the common case, redis-benchmark's and every cache client's.
  if (args.length === 2 && value.length <= valueBytesMax) {
    store.set(key, value, 0);
    return out.ok();
  }
  let condition: 'NX' | 'XX' | null = null;
  let get = false;
  let expiry: ExpiryOption = 'none';
  for (let i = 2; i < args.length; i++) {
    const option = (args[i] as string).toUpperCase();
    const next = args[i + 1];
    if ((option === 'NX' || option === 'XX') && condition === null) {
      condition = option;
    } else if (option === 'GET') {
      get = true;
    } else if (option === 'KEEPTTL' && expiry === 'none') {
      expiry = 'keep';
    } else if (isExpiryOption(option) && expiry === 'none' && next !== undefined) {
      const at = expiryOptionTime(option, next, 'set');
      if (typeof at === 'string') return out.error(at);
      expiry = { at };
      i++;
    } else {
      return out.error(errors.syntax);
    }
  }
  if (value.length > valueBytesMax) return out.error(errors.tooBig);
  const previous = store.get(key);
  const allowed = condition === null || (condition === 'NX') === (previous === undefined);
  if (allowed) {
    const at =
      expiry === 'keep' ? store.expireAtOf(key) : typeof expiry === 'object' ? expiry.at : 0;
    store.set(key, value, at);
  }
  if (get) return out.bulk(previous);
  if (allowed) return out.ok();
  out.nil();
}

/** SETEX and PSETEX: `key seconds value`. */
export function runSetWithExpiry(
  store: ShardStore,
  args: string[],
  unitMs: number,
  command: string,
  out: RespOut,
): void {
  const at = expiryTime(args[1] as string, unitMs, false, command);
  if (typeof at === 'string') return out.error(at);
  store.set(args[0] as string, args[2] as string, at);
  out.ok();
}

export function runGetEx(store: ShardStore, args: string[], out: RespOut): void {
  const key = args[0] as string;
  let expiry: ExpiryOption = 'none';
  for (let i = 1; i < args.length; i++) {
    const option = (args[i] as string).toUpperCase();
    const next = args[i + 1];
    if (option === 'PERSIST' && expiry === 'none') {
      expiry = 'persist';
    } else if (isExpiryOption(option) && expiry === 'none' && next !== undefined) {
      const at = expiryOptionTime(option, next, 'getex');
      if (typeof at === 'string') return out.error(at);
      expiry = { at };
      i++;
    } else {
      return out.error(errors.syntax);
    }
  }
  const value = store.get(key);
  if (value !== undefined) {
    if (expiry === 'persist' && store.expireAtOf(key) > 0) store.setExpireAt(key, 0);
    else if (typeof expiry === 'object') store.setExpireAt(key, expiry.at);
  }
  out.bulk(value);
}

/** INCR, DECR, INCRBY, DECRBY: `increment` is the argument text, or the fixed step. */
export function runIncrement(
  store: ShardStore,
  key: string,
  increment: string | number,
  negate: boolean,
  out: RespOut,
): void {
  let step = typeof increment === 'number' ? increment : parseInteger(increment);
  if (step === null) return out.error(errors.notInteger);
  if (negate) {
    if (isInt64Min(step)) return out.error(errors.decrementOverflow);
    step = -step;
  }
  const current = store.get(key);
  const value = current === undefined ? 0 : parseInteger(current);
  if (value === null) return out.error(errors.notInteger);
  const sum = addIntegers(value, step);
  if (sum === null) return out.error(errors.overflow);
  store.set(key, String(sum), store.expireAtOf(key));
  out.integer(sum);
}

const zero: LongDouble = { negative: false, mantissa: 0n, exponent: 0 };

export function runIncrByFloat(store: ShardStore, args: string[], out: RespOut): void {
  const key = args[0] as string;
  const increment = parseLongDouble(args[1] as string);
  if (increment === null) return out.error(errors.notFloat);
  const current = store.get(key);
  const value = current === undefined ? zero : parseLongDouble(current);
  if (value === null) return out.error(errors.notFloat);
  if (value === 'infinite' || increment === 'infinite') return out.error(errors.nanOrInfinity);
  const sum = addLongDoubles(value, increment);
  if (sum === null) return out.error(errors.nanOrInfinity);
  const text = formatLongDouble(sum);
  store.set(key, text, store.expireAtOf(key));
  out.bulk(text);
}

export function runAppend(
  store: ShardStore,
  args: string[],
  out: RespOut,
  valueBytesMax: number,
): void {
  const key = args[0] as string;
  const current = store.get(key) ?? '';
  const appended = args[1] as string;
  if (current.length + appended.length > valueBytesMax) return out.error(errors.tooBig);
  const value = current + appended;
  store.set(key, value, store.expireAtOf(key));
  out.integer(value.length);
}

/** GETRANGE (and its old name SUBSTR), with Redis 7.0's index rules. */
export function runGetRange(store: ShardStore, args: string[], out: RespOut): void {
  let start = parseInteger(args[1] as string);
  let end = parseInteger(args[2] as string);
  if (start === null || end === null) return out.error(errors.notInteger);
  start = Number(start);
  end = Number(end);
  const value = store.get(args[0] as string) ?? '';
  const length = value.length;
  if (start < 0 && end < 0 && start > end) return out.bulk('');
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return out.bulk('');
  out.bulk(value.slice(start, end + 1));
}

export function runSetRange(
  store: ShardStore,
  args: string[],
  out: RespOut,
  valueBytesMax: number,
): void {
  const key = args[0] as string;
  const offsetValue = parseInteger(args[1] as string);
  if (offsetValue === null) return out.error(errors.notInteger);
  const offset = Number(offsetValue);
  if (offset < 0) return out.error(errors.offsetRange);
  const patch = args[2] as string;
  const current = store.get(key);
  if (patch.length === 0) return out.integer(current?.length ?? 0);
  if (offset + patch.length > valueBytesMax) return out.error(errors.tooBig);
  const base = current ?? '';
  const padded = base.length < offset ? base + '\u0000'.repeat(offset - base.length) : base;
  const value = padded.slice(0, offset) + patch + padded.slice(offset + patch.length);
  store.set(key, value, store.expireAtOf(key));
  out.integer(value.length);
}

/** MSETNX with every key on this shard. */
export function runMsetNx(store: ShardStore, args: string[], out: RespOut): void {
  for (let i = 0; i < args.length; i += 2) {
    if (store.has(args[i] as string)) return out.integer(0);
  }
  for (let i = 0; i < args.length; i += 2) store.set(args[i] as string, args[i + 1] as string, 0);
  out.integer(1);
}
