/**
 * The line protocol's expiry commands (SPEC.md section 8): EXPIRE, PEXPIRE, PERSIST, TTL and
 * PTTL. They run as the shared command model's PEXPIREAT, PERSIST and PTTL on the key's shard
 * (the same code RESP clients reach), and their RESP replies become the line protocol's JSON
 * here. Inside a transaction an expiry change is buffered like a write and applied by COMMIT
 * atomically with the others; TTL reads the transaction's own writes first, as GET does.
 */
import { argsOf } from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import type { ExpiryCommand } from '../protocol/command-parser.js';
import { messages } from '../protocol/messages.js';
import {
  errorReplyBytes,
  integerResultReplyBytes,
  okReplyBytes,
} from '../protocol/reply-format.js';
import { integerOf, isError } from '../protocol/resp-reply-reader.js';
import type { OpSink } from '../shards/batch-builder.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import type { ClientSession } from './coordinator.js';
import type { BufferedWrite, Transaction } from './transaction.js';

const keyNotFoundReply = errorReplyBytes(messages.keyNotFound);

/** Where the key of a command lives, as the coordinator worked it out. */
export interface KeyPlace {
  shard: number;
  stripe: number;
  keyId: string;
  key: Buffer;
}

/** An OpSink turning the shard's RESP reply into the client's JSON line. */
function translated(session: ClientSession, toJson: (reply: Buffer) => Uint8Array): OpSink {
  const slot = session.replies.reserve();
  return {
    resolve: (bytes, start, end) => {
      const reply = toJson(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start));
      slot.resolve(reply, 0, reply.length);
    },
    reject: (message) => slot.reject(message),
  };
}

function errorOf(reply: Buffer): Uint8Array {
  // `-ERR invalid expire time ...`: the text after the code.
  return errorReplyBytes(reply.toString('latin1', reply.indexOf(0x20) + 1, reply.length - 2));
}

/** Sends the command to the key's shard (the caller has waited for any lock on the key). */
export function sendExpiryCommand(
  session: ClientSession,
  command: ExpiryCommand,
  place: KeyPlace,
  handle: ShardHandle,
): void {
  const batch = handle.batchFor(place.key.length + 64, 0);
  const { key } = place;
  switch (command.kind) {
    case 'EXPIRE':
    case 'PEXPIRE': {
      const args = argsOf([key, String(Date.now() + command.ms)]);
      const sink = translated(session, (reply) => {
        if (isError(reply)) return errorOf(reply);
        return integerOf(reply) === 1 ? okReplyBytes : keyNotFoundReply;
      });
      batch.addCommandOp(CommandCode.pexpireat, false, args, 0, 2, sink);
      break;
    }
    case 'PERSIST': {
      // PERSIST answers 0 both for a missing key and one without expiry: EXISTS, run just
      // before it in the same batch, tells the two apart.
      let exists = false;
      batch.addCommandOp(CommandCode.exists, false, argsOf([key]), 0, 1, {
        resolve: (bytes, start) => {
          exists = bytes[start + 1] === 0x31;
        },
        reject: () => {},
      });
      const sink = translated(session, () => (exists ? okReplyBytes : keyNotFoundReply));
      batch.addCommandOp(CommandCode.persist, false, argsOf([key]), 0, 1, sink);
      break;
    }
    case 'TTL':
    case 'PTTL': {
      const code = command.kind === 'TTL' ? CommandCode.ttl : CommandCode.pttl;
      const sink = translated(session, (reply) => {
        const value = integerOf(reply) ?? -2;
        return value === -2 ? keyNotFoundReply : integerResultReplyBytes(value);
      });
      batch.addCommandOp(code, false, argsOf([key]), 0, 1, sink);
      break;
    }
  }
  handle.scheduleFlush();
}

/**
 * Inside a transaction: EXPIRE, PEXPIRE and PERSIST are buffered (COMMIT applies them with the
 * writes), TTL and PTTL of a key the transaction wrote are answered from its writes. Returns
 * false when the shard must answer (a TTL of a key the transaction did not write, or whose
 * value it did not write).
 */
export function bufferExpiryCommand(
  session: ClientSession,
  transaction: Transaction,
  command: ExpiryCommand,
  place: KeyPlace,
  handle: ShardHandle,
  limits: { txWritesMax: number; txBytesMax: number },
): boolean {
  const buffered = transaction.read(place.keyId);
  if (command.kind === 'TTL' || command.kind === 'PTTL') {
    if (buffered === undefined) return false;
    if (buffered.isDel) {
      session.replies.push(keyNotFoundReply);
      return true;
    }
    const unitMs = command.kind === 'TTL' ? 1000 : 1;
    if (buffered.onlyExpiry) {
      // The key's existence is the committed one's: ask the shard, answer with our expiry.
      const args = argsOf([place.key]);
      const sink = translated(session, (reply) =>
        integerOf(reply) === -2
          ? keyNotFoundReply
          : integerResultReplyBytes(ttlOf(buffered, unitMs)),
      );
      handle
        .batchFor(place.key.length + 4, 0)
        .addCommandOp(CommandCode.pttl, false, args, 0, 1, sink);
      handle.scheduleFlush();
      return true;
    }
    session.replies.push(integerResultReplyBytes(ttlOf(buffered, unitMs)));
    return true;
  }
  const expireAt = command.kind === 'PERSIST' ? 0 : Date.now() + command.ms;
  if (buffered !== undefined) {
    if (buffered.isDel) {
      session.replies.push(keyNotFoundReply);
      return true;
    }
    buffered.expireAt = expireAt;
    session.replies.push(okReplyBytes);
    return true;
  }
  const write: BufferedWrite = {
    shard: place.shard,
    stripe: place.stripe,
    keyId: place.keyId,
    bytes: place.key,
    keyBytes: place.key.length,
    isDel: false,
    expireAt,
    onlyExpiry: true,
  };
  const result = transaction.buffer(write, limits);
  if (result === 'buffered') {
    session.replies.push(okReplyBytes);
    return true;
  }
  const message =
    result === 'writesLimit'
      ? messages.txWritesLimit(limits.txWritesMax)
      : messages.txBytesLimit(limits.txBytesMax);
  transaction.doomedBy ??= message;
  session.replies.push(errorReplyBytes(message));
  return true;
}

/** A buffered write's time to live in `unitMs` units, rounded as Redis's TTL rounds. */
function ttlOf(write: BufferedWrite, unitMs: number): number {
  if (write.expireAt <= 0) return -1;
  const leftMs = Math.max(0, write.expireAt - Date.now());
  return unitMs === 1 ? leftMs : Math.floor((leftMs + 500) / 1000);
}
