/**
 * Every text a client can read, in one place so the wording is reviewed together and tests can
 * import it. Each says what was wrong and what to do. "Key not found!" is the original server's
 * text, kept byte for byte for its clients (SPEC.md section 2).
 */
import { formatByteSize } from '../config/byte-size.js';

export const messages = {
  keyNotFound: 'Key not found!',
  unknownCommand: (word: string) =>
    `unknown command '${word}'; commands are PUT, GET, DEL, START, COMMIT, ROLLBACK, PING, QUIT, ` +
    'EXPIRE, PEXPIRE, PERSIST, TTL, PTTL, INFO, AUTH, SAVE',
  expireUsage: (command: string) =>
    command === 'EXPIRE'
      ? 'EXPIRE takes a key and a whole number of seconds'
      : 'PEXPIRE takes a key and a whole number of milliseconds',
  authUsage: 'AUTH takes the password',
  authRequired: 'authentication required (AUTH password)',
  authInvalid: 'invalid password',
  authNotConfigured: 'AUTH given, but the server has no password (--requirepass)',
  infoUsage: 'INFO takes no argument or one section name',
  takesOneKey: (command: string) => `${command} takes exactly one key`,
  putNeedsValue: 'PUT takes a key and a value',
  takesNoArguments: (command: string) => `${command} takes no arguments`,
  txWatchLimit: (limit: number) =>
    `a START SERIALIZABLE transaction may touch at most ${limit} keys (--max-tx-writes)`,
  startUsage: 'START takes no arguments, or SERIALIZABLE',
  commitDoomed: (reason: string) =>
    `COMMIT failed, nothing was applied: the transaction was discarded because a write in it ` +
    `was refused (${reason}); the transaction is closed`,
  commitConflict: (key: string) =>
    `COMMIT failed, nothing was applied: key ${JSON.stringify(key)} was written by someone else ` +
    'after this transaction read or wrote it (START SERIALIZABLE); the transaction is closed, ' +
    'retry it',
  invalidUtf8: 'command is not valid UTF-8; nothing was stored',
  binaryValue: 'value is not valid UTF-8 text; read it over the Redis protocol (RESP)',
  lineTooLong: (limitBytes: number) =>
    `line longer than ${formatByteSize(limitBytes)} was dropped; ` +
    'raise --max-line-bytes to allow it',
  transactionAlreadyOpen: 'a transaction is already open; COMMIT or ROLLBACK it first',
  noTransaction: (command: string) => `${command} without START: no transaction is open`,
  txWritesLimit: (limit: number) =>
    `transaction has reached ${limit} writes (--max-tx-writes); this write was not buffered, ` +
    'the transaction stays open but its COMMIT will fail',
  txBytesLimit: (limitBytes: number) =>
    `transaction would pass ${formatByteSize(limitBytes)} of buffered writes (--max-tx-bytes); ` +
    'this write was not buffered, the transaction stays open but its COMMIT will fail',
  memoryFull: (limitBytes: number) =>
    `out of memory: the server is at its ${formatByteSize(limitBytes)} limit (--max-memory); ` +
    'GET and DEL still work',
  commitMemoryFull: (limitBytes: number) =>
    `COMMIT refused, nothing was applied: the server is at its ${formatByteSize(limitBytes)} ` +
    'limit (--max-memory); the transaction is closed',
  shardFailed: (shard: number) =>
    `shard ${shard} failed and was restarted empty (its keys were lost); this command was not ` +
    'applied, retry it',
  commitShardFailed: (shard: number) =>
    `COMMIT failed, nothing was applied: shard ${shard} failed and was restarted empty; the ` +
    'transaction is closed',
  tooManyClients: (limit: number) =>
    `too many clients: the server serves at most ${limit} (--max-clients); try again later`,
  shuttingDown: 'server is shutting down',
  debugDisabled: 'DEBUG commands are disabled; start the server with --enable-debug-commands',
  debugUsage: 'DEBUG takes CRASH-SHARD <index>, STALL-SHARD <index> <ms> or LOCKS',
  noSuchShard: (count: number) => `no such shard; shards are numbered 0 to ${count - 1}`,
  snapshotsOff: 'snapshots are off: start Haus with --snapshot-file',
  snapshotFailed: (reason: string) =>
    `snapshot not written: ${reason}; the previous snapshot file is unchanged and the server ` +
    'keeps serving',
} as const;
