/**
 * The commands a shard executes, by number: the one command model both protocols use between
 * the coordinator and the shards (SPEC.md section 7). The main thread routes by key and
 * checks arity; the shard parses options, executes and formats the reply (RESP2 or RESP3).
 *
 * The codes below `firstInternal` are Redis commands of one key (or, for msetnx, rename and
 * renamenx, keys all on the shard that gets them). The rest are steps the coordinator composes
 * multi-key and all-shard commands from; clients cannot send them.
 */
export const CommandCode = {
  get: 1,
  set: 2,
  setnx: 3,
  setex: 4,
  psetex: 5,
  getset: 6,
  getdel: 7,
  getex: 8,
  incr: 9,
  decr: 10,
  incrby: 11,
  decrby: 12,
  incrbyfloat: 13,
  append: 14,
  strlen: 15,
  getrange: 16,
  setrange: 17,
  del: 18,
  exists: 19,
  type: 20,
  expire: 21,
  pexpire: 22,
  expireat: 23,
  pexpireat: 24,
  ttl: 25,
  pttl: 26,
  expiretime: 27,
  pexpiretime: 28,
  persist: 29,
  rename: 30,
  renamenx: 31,
  msetnx: 32,
  substr: 33,
  /** [key, value, key, value, ...]: MSET's pairs that live on this shard. */
  mset: 34,
  /** [key, ...]: MGET's keys that live on this shard -> array of values or nils. */
  mget: 35,
  /** [key] -> nil, or [value, expiry ms (0: none)]: the first half of a RENAME across shards. */
  dumpValue: 64,
  /** [key, value, expiry ms]: the second half. */
  restoreValue: 65,
  /** [pattern] -> array of the live keys matching it. */
  keys: 66,
  /** [cursor, count, pattern or '', type or ''] -> [next cursor, keys]; cursor 0 starts. */
  scan: 67,
  /** [] -> integer. */
  dbsize: 68,
  /** [] -> [key count, a random key or nil]. */
  randomKey: 69,
  /** [] -> +OK: every key goes. */
  flush: 70,
  /** [watcher, key...] -> +OK: the client watches the keys (WATCH, START SERIALIZABLE). */
  watch: 71,
  /** [watcher] -> nil, or a watched key that changed since. */
  watchCheck: 72,
  /** [] -> integers: keys, keys with expiry, expired, hits, misses, largest reply bound,
   * heap bytes used. */
  stats: 73,
  /** [key, value, expiry ms (0: none)] repeated -> +OK: a snapshot's keys for this shard, as
   * it loads at start (src/persistence/snapshot-loader.ts); one reply for many keys. */
  restoreMany: 80,
} as const;
export type CommandCode = (typeof CommandCode)[keyof typeof CommandCode];

export const firstInternal = 64;
