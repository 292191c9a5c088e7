/**
 * The Redis commands Haus serves (SPEC.md section 7): name, arity (Redis's convention: N
 * exactly N words with the name, -N at least N), where the keys are, and how the coordinator
 * runs each:
 * - `key`: one key, run whole by its shard (the shard parses options and replies).
 * - `keys`: several keys, possibly on several shards, atomic like a commit (multi-key.ts).
 * - `keyspace`: every shard (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHALL).
 * - `connection`: answered by the main thread (PING, HELLO, MULTI, INFO, ...).
 * Commands of other data types are not here, so they get Redis's unknown-command error.
 */
import { CommandCode } from './command-codes.js';

export type CommandKind = 'key' | 'keys' | 'keyspace' | 'connection';

export interface CommandSpec {
  /** Lower case, as Redis names commands in COMMAND INFO and error texts. */
  readonly name: string;
  readonly arity: number;
  readonly kind: CommandKind;
  /** The shard command, for `key` commands and the per-key steps of `keys` ones. */
  readonly code: CommandCode | 0;
  /** Changes data: refused past --max-memory when it may add some (`denyOom`). */
  readonly write: boolean;
  readonly denyOom: boolean;
  /** Key positions (Redis's first, last, step; last -1: to the end). 0: no keys. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Position in this table, 0 up: counters per command (src/metrics/) are arrays by it. */
  readonly index: number;
}

type Flags = 'read' | 'write' | 'write-oom' | 'none';

let specCount = 0;

function spec(
  name: string,
  arity: number,
  kind: CommandKind,
  code: CommandCode | 0,
  flags: Flags,
  keys: [number, number, number] = [0, 0, 0],
): CommandSpec {
  const [firstKey, lastKey, keyStep] = keys;
  return {
    index: specCount++,
    name,
    arity,
    kind,
    code,
    write: flags === 'write' || flags === 'write-oom',
    denyOom: flags === 'write-oom',
    firstKey,
    lastKey,
    keyStep,
  };
}

const oneKey: [number, number, number] = [1, 1, 1];
const c = CommandCode;

const specs: CommandSpec[] = [
  // Strings.
  spec('get', 2, 'key', c.get, 'read', oneKey),
  spec('set', -3, 'key', c.set, 'write-oom', oneKey),
  spec('setnx', 3, 'key', c.setnx, 'write-oom', oneKey),
  spec('setex', 4, 'key', c.setex, 'write-oom', oneKey),
  spec('psetex', 4, 'key', c.psetex, 'write-oom', oneKey),
  spec('getset', 3, 'key', c.getset, 'write-oom', oneKey),
  spec('getdel', 2, 'key', c.getdel, 'write', oneKey),
  spec('getex', -2, 'key', c.getex, 'write', oneKey),
  spec('incr', 2, 'key', c.incr, 'write-oom', oneKey),
  spec('decr', 2, 'key', c.decr, 'write-oom', oneKey),
  spec('incrby', 3, 'key', c.incrby, 'write-oom', oneKey),
  spec('decrby', 3, 'key', c.decrby, 'write-oom', oneKey),
  spec('incrbyfloat', 3, 'key', c.incrbyfloat, 'write-oom', oneKey),
  spec('append', 3, 'key', c.append, 'write-oom', oneKey),
  spec('strlen', 2, 'key', c.strlen, 'read', oneKey),
  spec('getrange', 4, 'key', c.getrange, 'read', oneKey),
  spec('substr', 4, 'key', c.substr, 'read', oneKey),
  spec('setrange', 4, 'key', c.setrange, 'write-oom', oneKey),
  spec('mget', -2, 'keys', c.mget, 'read', [1, -1, 1]),
  spec('mset', -3, 'keys', c.mset, 'write-oom', [1, -1, 2]),
  spec('msetnx', -3, 'keys', c.msetnx, 'write-oom', [1, -1, 2]),
  // Keys.
  spec('del', -2, 'keys', c.del, 'write', [1, -1, 1]),
  spec('unlink', -2, 'keys', c.del, 'write', [1, -1, 1]),
  spec('exists', -2, 'keys', c.exists, 'read', [1, -1, 1]),
  spec('type', 2, 'key', c.type, 'read', oneKey),
  spec('expire', -3, 'key', c.expire, 'write', oneKey),
  spec('pexpire', -3, 'key', c.pexpire, 'write', oneKey),
  spec('expireat', -3, 'key', c.expireat, 'write', oneKey),
  spec('pexpireat', -3, 'key', c.pexpireat, 'write', oneKey),
  spec('ttl', 2, 'key', c.ttl, 'read', oneKey),
  spec('pttl', 2, 'key', c.pttl, 'read', oneKey),
  spec('expiretime', 2, 'key', c.expiretime, 'read', oneKey),
  spec('pexpiretime', 2, 'key', c.pexpiretime, 'read', oneKey),
  spec('persist', 2, 'key', c.persist, 'write', oneKey),
  spec('rename', 3, 'keys', c.rename, 'write', [1, 2, 1]),
  spec('renamenx', 3, 'keys', c.renamenx, 'write', [1, 2, 1]),
  spec('keys', 2, 'keyspace', c.keys, 'read'),
  spec('scan', -2, 'keyspace', c.scan, 'read'),
  spec('dbsize', 1, 'keyspace', c.dbsize, 'read'),
  spec('randomkey', 1, 'keyspace', c.randomKey, 'read'),
  spec('flushdb', -1, 'keyspace', c.flush, 'write'),
  spec('flushall', -1, 'keyspace', c.flush, 'write'),
  // Transactions.
  spec('multi', 1, 'connection', 0, 'none'),
  spec('exec', 1, 'connection', 0, 'none'),
  spec('discard', 1, 'connection', 0, 'none'),
  spec('watch', -2, 'connection', 0, 'none', [1, -1, 1]),
  spec('unwatch', 1, 'connection', 0, 'none'),
  // Connection and server.
  spec('ping', -1, 'connection', 0, 'none'),
  spec('echo', 2, 'connection', 0, 'none'),
  spec('quit', -1, 'connection', 0, 'none'),
  spec('hello', -1, 'connection', 0, 'none'),
  spec('auth', -2, 'connection', 0, 'none'),
  spec('select', 2, 'connection', 0, 'none'),
  spec('client', -2, 'connection', 0, 'none'),
  spec('reset', 1, 'connection', 0, 'none'),
  spec('info', -1, 'connection', 0, 'none'),
  spec('time', 1, 'connection', 0, 'none'),
  spec('config', -2, 'connection', 0, 'none'),
  spec('command', -1, 'connection', 0, 'none'),
  spec('save', 1, 'connection', 0, 'none'),
  spec('bgsave', -1, 'connection', 0, 'none'),
  spec('lastsave', 1, 'connection', 0, 'none'),
];

/** Every command by lower-case name. */
export const commandTable: ReadonlyMap<string, CommandSpec> = new Map(
  specs.map((entry) => [entry.name, entry]),
);

/** Commands a client may not queue inside MULTI (Redis answers these at once). */
export const notQueued = new Set(['multi', 'exec', 'discard', 'watch', 'quit', 'reset']);

export function arityOk(spec: CommandSpec, argCount: number): boolean {
  return spec.arity > 0 ? argCount === spec.arity : argCount >= -spec.arity;
}

/** Positions of the keys among `argCount` arguments (the name is 0). */
export function keyPositions(spec: CommandSpec, argCount: number): number[] {
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? argCount + spec.lastKey : spec.lastKey;
  const positions: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argCount; i += spec.keyStep) positions.push(i);
  return positions;
}
