/**
 * Error replies sorted by kind for haus_errors_total (src/metrics/error-kinds.ts): every line
 * protocol message lands in the kind it names, and Redis's error codes and texts in theirs, so
 * a new message shows up here before it lands in "other" unnoticed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type ErrorKind,
  errorKinds,
  lineErrorKind,
  respErrorKind,
} from '../../src/metrics/error-kinds.js';
import { messages } from '../../src/protocol/messages.js';
import { errorReplyBytes } from '../../src/protocol/reply-format.js';
import { respErrorBytes } from '../../src/protocol/resp-reply.js';

const lineKind = (message: string): ErrorKind =>
  errorKinds[lineErrorKind(errorReplyBytes(message), 0)] as ErrorKind;
const respKind = (message: string): ErrorKind =>
  errorKinds[respErrorKind(respErrorBytes(message), 0)] as ErrorKind;

/** Every entry of messages.ts, by the kind its error reply counts as. */
const lineMessages: Record<keyof typeof messages, [string, ErrorKind] | null> = {
  keyNotFound: [messages.keyNotFound, 'not_found'],
  unknownCommand: [messages.unknownCommand('FROB'), 'usage'],
  expireUsage: [messages.expireUsage('PEXPIRE'), 'usage'],
  authUsage: [messages.authUsage, 'usage'],
  authRequired: [messages.authRequired, 'auth'],
  authInvalid: [messages.authInvalid, 'auth'],
  authNotConfigured: [messages.authNotConfigured, 'auth'],
  infoUsage: [messages.infoUsage, 'usage'],
  takesOneKey: [messages.takesOneKey('GET'), 'usage'],
  putNeedsValue: [messages.putNeedsValue, 'usage'],
  takesNoArguments: [messages.takesNoArguments('COMMIT'), 'usage'],
  txWatchLimit: [messages.txWatchLimit(10), 'limit'],
  startUsage: [messages.startUsage, 'usage'],
  commitDoomed: [messages.commitDoomed('a reason'), 'aborted'],
  commitConflict: [messages.commitConflict('a "quoted" key'), 'conflict'],
  invalidUtf8: [messages.invalidUtf8, 'protocol'],
  binaryValue: [messages.binaryValue, 'protocol'],
  lineTooLong: [messages.lineTooLong(1024), 'protocol'],
  transactionAlreadyOpen: [messages.transactionAlreadyOpen, 'usage'],
  noTransaction: [messages.noTransaction('ROLLBACK'), 'usage'],
  txWritesLimit: [messages.txWritesLimit(10), 'limit'],
  txBytesLimit: [messages.txBytesLimit(1024), 'limit'],
  memoryFull: [messages.memoryFull(1024), 'oom'],
  commitMemoryFull: [messages.commitMemoryFull(1024), 'oom'],
  shardFailed: [messages.shardFailed(1), 'shard_failed'],
  commitShardFailed: [messages.commitShardFailed(1), 'shard_failed'],
  // Sent on a socket being closed, never through a reply queue.
  tooManyClients: null,
  shuttingDown: [messages.shuttingDown, 'other'],
  debugDisabled: [messages.debugDisabled, 'usage'],
  debugUsage: [messages.debugUsage, 'usage'],
  noSuchShard: [messages.noSuchShard(2), 'usage'],
  snapshotsOff: [messages.snapshotsOff, 'usage'],
  snapshotFailed: [messages.snapshotFailed('cannot create /x.tmp: the disk is full'), 'other'],
};

describe('error kinds for /metrics', () => {
  test('every line protocol message counts as the kind it names', () => {
    for (const [name, entry] of Object.entries(lineMessages)) {
      if (entry === null) continue;
      const [message, kind] = entry;
      assert.equal(lineKind(message), kind, name);
    }
  });

  test("Redis's error codes and texts count as their kinds", () => {
    const cases: Array<[string, ErrorKind]> = [
      ['NOAUTH Authentication required.', 'auth'],
      ['WRONGPASS invalid username-password pair or user is disabled.', 'auth'],
      ["OOM command not allowed when used memory > 'maxmemory'.", 'oom'],
      ['EXECABORT Transaction discarded because of previous errors.', 'aborted'],
      ['ERR Protocol error: invalid multibulk length', 'protocol'],
      ["ERR wrong number of arguments for 'get' command", 'usage'],
      ["ERR unknown command 'FROB', with args beginning with: ", 'usage'],
      ['ERR syntax error', 'usage'],
      ['ERR value is not an integer or out of range', 'usage'],
      ['ERR EXEC without MULTI', 'usage'],
      ['ERR no such key', 'not_found'],
      ['ERR transaction has reached 10 commands (--max-tx-writes)', 'limit'],
      ['ERR a client may watch at most 10 keys (--max-tx-writes)', 'limit'],
      [`ERR ${messages.shardFailed(0)}`, 'shard_failed'],
      ['ERR something nobody has written yet', 'other'],
      ['SOMECODE something else', 'other'],
    ];
    for (const [message, kind] of cases) assert.equal(respKind(message), kind, message);
  });

  test('a reply that ends before its text is sorted without reading past it', () => {
    assert.equal(errorKinds[respErrorKind(Buffer.from('-'), 0)], 'other');
    const cut = errorReplyBytes('x').subarray(0, 14);
    assert.equal(errorKinds[lineErrorKind(cut, 0)], 'other');
  });
});
