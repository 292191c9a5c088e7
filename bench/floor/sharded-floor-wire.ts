/**
 * What crosses between the sharded floor's main thread (sharded-floor-server.ts) and its shard
 * threads (sharded-floor-shard.ts), defined once for both sides. Each shard has two
 * SharedArrayBuffers of one size (DEFAULT_SLOT_BYTES unless the server is given another): the
 * main thread writes a batch of command groups into the request slot and posts its length in
 * bytes; the shard writes one reply line per group into the reply slot and posts that length.
 * At most one batch per shard is in flight, so neither side ever writes a slot the other is
 * reading, and a number is the whole message: no object is cloned per batch.
 *
 * A batch is latin1 text, one byte per character, so string lengths are byte counts and any
 * byte a client sent (UTF-8 included) crosses unchanged. Its command groups:
 *
 *   G <key>            a GET: the reply is the value, or the miss
 *   P <key> <value>    a PUT: the reply is Ok
 *   C <n>              a COMMIT's writes on this shard: the next n lines are P lines,
 *                      applied one after the other with nothing between them, one Ok
 *
 * Neither slot may overflow, and nothing is cut short to make it fit: the main thread starts a
 * new batch when the next group would not fit the request slot, and a shard whose replies
 * would not fit its reply slot stops before that group, posts what it has, and goes on with
 * the same batch when the main thread posts CONTINUE_BATCH.
 */

/** Each slot's size: a turn of 50 connections at P=16 is about 40 KiB, so 4 MiB rarely fills.
 * Tests pass a few hundred bytes instead, so that batches split in both directions. */
export const DEFAULT_SLOT_BYTES = 4 * 1024 * 1024;

/** "Go on with the batch you stopped in": never a batch's length, as no batch is empty. */
export const CONTINUE_BATCH = 0;

/** A shard's two slots, handed to its worker as workerData; their byteLength is the bound. */
export interface ShardSlots {
  request: SharedArrayBuffer;
  reply: SharedArrayBuffer;
}

/** The first character of each command group, as a char code. */
export const GROUP_GET = 'G'.charCodeAt(0);
export const GROUP_PUT = 'P'.charCodeAt(0);
export const GROUP_COMMIT = 'C'.charCodeAt(0);

/** The replies the bench's row runner checks for, byte for byte (Haus's own texts). */
export const OK_REPLY = '{"status": "Ok"}\n';
export const MISS_REPLY = '{"status": "Error", "mesg": "Key not found!"}\n';
export const UNKNOWN_REPLY = '{"status": "Error", "mesg": "Unknown command"}\n';

export function hitReply(value: string): string {
  return `{"status": "Ok", "result": "${value}"}\n`;
}
