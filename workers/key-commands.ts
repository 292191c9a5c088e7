/**
 * Redis's key commands on one shard's store (expiry, TYPE, RENAME within the shard) and the
 * steps the coordinator builds multi-key and all-shard commands from (src/commands/
 * command-codes.ts: dumpValue, keys, scan, ...).
 */
import { globMatch, matchesEverything } from '../src/commands/glob.js';
import { parseInteger } from './numbers.js';
import type { RespOut } from './resp-out.js';
import type { ShardStore } from './shard-store.js';
import { errors } from './string-commands.js';

/** SCAN cursors (and pages served, kept to answer a repeated cursor) one shard keeps; past
 * it the oldest is dropped, and a client resuming it starts this shard's keys again (it
 * still sees each key at least once). */
const scanCursorsMax = 4096;
/** Keys one SCAN call looks at, whatever COUNT asks: bounded work per call. */
const scanCountMax = 100_000;

/** EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with NX, XX, GT, LT (Redis 7.0). */
export function runExpire(
  store: ShardStore,
  args: string[],
  unitMs: number,
  absolute: boolean,
  command: string,
  out: RespOut,
): void {
  const key = args[0] as string;
  const amount = parseInteger(args[1] as string);
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let i = 2; i < args.length; i++) {
    const option = (args[i] as string).toUpperCase();
    if (option === 'NX') nx = true;
    else if (option === 'XX') xx = true;
    else if (option === 'GT') gt = true;
    else if (option === 'LT') lt = true;
    else return out.error(`ERR Unsupported option ${args[i]}`);
  }
  if (nx && (xx || gt || lt)) {
    return out.error('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (gt && lt) return out.error('ERR GT and LT options at the same time are not compatible');
  if (amount === null) return out.error(errors.notInteger);
  const at = Number(amount) * unitMs + (absolute ? 0 : Date.now());
  if (!Number.isSafeInteger(at)) return out.error(errors.invalidExpire(command));
  if (!store.has(key)) return out.integer(0);
  const current = store.expireAtOf(key);
  // A key without expiry counts as one that never expires: GT never beats it, LT always does.
  if (nx && current > 0) return out.integer(0);
  if (xx && current === 0) return out.integer(0);
  if (gt && (current === 0 || at <= current)) return out.integer(0);
  if (lt && current > 0 && at >= current) return out.integer(0);
  if (at <= Date.now()) store.remove(key);
  else store.setExpireAt(key, at);
  out.integer(1);
}

/** TTL, PTTL (`relative`) and EXPIRETIME, PEXPIRETIME: -2 without key, -1 without expiry. */
export function runTimeToLive(
  store: ShardStore,
  key: string,
  unitMs: number,
  relative: boolean,
  out: RespOut,
): void {
  if (!store.has(key)) return out.integer(-2);
  const at = store.expireAtOf(key);
  if (at === 0) return out.integer(-1);
  if (!relative) return out.integer(unitMs === 1 ? at : Math.floor((at + 500) / 1000));
  const leftMs = Math.max(0, at - Date.now());
  out.integer(unitMs === 1 ? leftMs : Math.floor((leftMs + 500) / 1000));
}

export function runPersist(store: ShardStore, key: string, out: RespOut): void {
  if (!store.has(key) || store.expireAtOf(key) === 0) return out.integer(0);
  store.setExpireAt(key, 0);
  out.integer(1);
}

/** RENAME and RENAMENX with both keys on this shard; the value keeps its expiry. */
export function runRename(
  store: ShardStore,
  args: string[],
  onlyIfNew: boolean,
  out: RespOut,
): void {
  const [from, to] = args as [string, string];
  const value = store.get(from);
  if (value === undefined) return out.error(errors.noSuchKey);
  if (onlyIfNew && store.has(to)) return out.integer(0);
  if (from === to) return onlyIfNew ? out.integer(0) : out.ok();
  const at = store.expireAtOf(from);
  store.remove(from);
  store.set(to, value, at);
  if (onlyIfNew) out.integer(1);
  else out.ok();
}

export function runDumpValue(store: ShardStore, key: string, out: RespOut): void {
  const value = store.get(key);
  if (value === undefined) return out.nil();
  out.arrayHeader(2);
  out.element(value);
  out.integerElement(store.expireAtOf(key));
  out.end();
}

export function runKeys(store: ShardStore, pattern: string, out: RespOut): void {
  const everything = matchesEverything(pattern);
  const found: string[] = [];
  for (const key of store.keys()) if (everything || globMatch(pattern, key)) found.push(key);
  out.arrayHeader(found.length);
  for (const key of found) out.element(key);
  out.end();
}

export function runRandomKey(store: ShardStore, out: RespOut): void {
  out.arrayHeader(2);
  out.integerElement(store.size);
  out.element(store.randomKey());
  out.end();
}

/** A page a cursor already gave: sent again when the same cursor comes back. */
interface ServedPage {
  keys: string[];
  next: string;
}

/**
 * One SCAN step on this shard: a cursor is a live iterator of the shard's Map (iterators
 * survive changes to it and visit every key present from their start to their end), kept
 * here under a random number the client carries in its cursor. A cursor names one page: sent
 * again (a client retrying after a lost reply, or two clients with the same cursor), it gets
 * the same page and the same next cursor, as in Redis; another client cannot advance it.
 */
export class ScanCursors {
  private readonly cursors = new Map<string, Iterator<string> | ServedPage>();

  run(store: ShardStore, args: string[], out: RespOut): void {
    const [cursorText, countText, pattern, type] = args as [string, string, string, string];
    const kept = cursorText === '0' ? undefined : this.cursors.get(cursorText);
    if (kept !== undefined && !isIterator(kept)) return writePage(kept, out);
    const count = Math.min(Math.max(Number(countText), 1), scanCountMax);
    // An unknown cursor (dropped at the bound, or from before a restart) starts again.
    const cursor = kept ?? store.keys();
    const keys: string[] = [];
    let done = false;
    const everything = pattern === '' || matchesEverything(pattern);
    const typeMatches = type === '' || type.toLowerCase() === 'string';
    for (let looked = 0; looked < count; looked++) {
      const next = cursor.next();
      if (next.done === true) {
        done = true;
        break;
      }
      if (typeMatches && (everything || globMatch(pattern, next.value))) keys.push(next.value);
    }
    const page: ServedPage = { keys, next: done ? '0' : randomCursor() };
    if (!done) this.keep(page.next, cursor);
    if (cursorText !== '0') this.keep(cursorText, page);
    writePage(page, out);
  }

  clear(): void {
    this.cursors.clear();
  }

  private keep(id: string, entry: Iterator<string> | ServedPage): void {
    this.cursors.delete(id);
    if (this.cursors.size >= scanCursorsMax) {
      const oldest = this.cursors.keys().next().value as string;
      this.cursors.delete(oldest);
    }
    this.cursors.set(id, entry);
  }
}

function isIterator(entry: Iterator<string> | ServedPage): entry is Iterator<string> {
  return !('keys' in entry && Array.isArray(entry.keys));
}

function writePage(page: ServedPage, out: RespOut): void {
  out.arrayHeader(2);
  out.element(page.next);
  out.arrayHeader(page.keys.length);
  for (const key of page.keys) out.element(key);
  out.end();
}

/** A cursor nobody can guess: 48 random bits (with the shard number it stays below 2^64). */
function randomCursor(): string {
  return String(1 + Math.floor(Math.random() * 2 ** 48));
}
