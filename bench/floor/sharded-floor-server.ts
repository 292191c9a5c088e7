/**
 * The sharded floor: the least a server of Haus's design can do for the line protocol's GET,
 * PUT, START and COMMIT. One main thread reads sockets, splits lines and keeps each client's
 * replies in order (reply-order.ts); N shard threads own the Maps (sharded-floor-shard.ts);
 * each event-loop turn's commands go to each shard as one batch through a SharedArrayBuffer
 * announced by postMessage(byteLength), at most one batch in flight per shard
 * (floor-shard-handle.ts). No locks, no undo records, no limits, no UTF-8 checks, no escaping.
 *
 * Where the node floor (floor-server.ts) bounds what any Node server reaches here, this one
 * bounds what Haus's design reaches: Haus / sharded floor is what Haus's own work (checks,
 * locks, undo records, limits) costs on top of the thread hop the design pays for.
 *
 *   node dist/bench/floor/sharded-floor-server.js [port] [shards] [slot-bytes]   (127.0.0.1)
 *
 * shards defaults to the core count (as the bench's --shards), slot-bytes to 4 MiB; tests give
 * a few hundred bytes so that batches and their replies split.
 */
import { createServer, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { FloorShardHandle } from './floor-shard-handle.js';
import { type PendingReply, ReplyOrder } from './reply-order.js';
import { DEFAULT_SLOT_BYTES, OK_REPLY, UNKNOWN_REPLY } from './sharded-floor-wire.js';

const port = wholeArgument('port', process.argv[2], 9898, 0);
const shardCount = wholeArgument('shards', process.argv[3], availableParallelism(), 1);
const slotBytes = wholeArgument('slot-bytes', process.argv[4], DEFAULT_SLOT_BYTES, 1);
const shards = Array.from(
  { length: shardCount },
  (_, index) => new FloorShardHandle({ index, slotBytes }),
);

/** Each shard's part of a commit, as batch lines, and its write count: scratch for commit(),
 * which runs to the end before anything else can use them. */
const commitLines: string[] = new Array(shardCount).fill('');
const commitWrites = new Int32Array(shardCount);

createServer(serve).listen(port, '127.0.0.1');

/** A client's commands: GET and PUT go to the key's shard, a transaction's PUTs wait here
 * until COMMIT sends them, one group per shard. Anything else gets an error line. */
function serve(socket: Socket): void {
  socket.setNoDelay(true);
  const replies = new ReplyOrder(socket);
  let unfinishedLine = '';
  /** The open transaction's writes as `key value`, or null outside one. */
  let transaction: string[] | null = null;
  socket.on('data', (chunk: Buffer) => {
    const text = unfinishedLine + chunk.toString('latin1');
    let at = 0;
    for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', at)) {
      const line = text.slice(at, text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
      at = nl + 1;
      const space = line.indexOf(' ');
      const verb = space === -1 ? line : line.slice(0, space);
      if (verb === 'GET') {
        const shard = shardOf(line, space + 1, line.length);
        shard.add(`G ${line.slice(space + 1)}\n`, replies.pending(1));
      } else if (verb === 'PUT') {
        if (transaction === null) {
          const shard = shardOf(line, space + 1, keyEnd(line, space + 1));
          shard.add(`P ${line.slice(space + 1)}\n`, replies.pending(1));
        } else {
          transaction.push(line.slice(space + 1));
          replies.ready(OK_REPLY);
        }
      } else if (verb === 'START') {
        transaction = [];
        replies.ready(OK_REPLY);
      } else if (verb === 'COMMIT') {
        commit(transaction ?? [], replies);
        transaction = null;
      } else {
        replies.ready(UNKNOWN_REPLY);
      }
    }
    unfinishedLine = text.slice(at);
    replies.scheduleFlush();
  });
  // A client that resets its connection is no news to a floor: its replies are dropped.
  socket.on('error', () => {});
}

/** Sends each shard its writes as one `C n` group; the COMMIT's Ok waits for all of them. */
function commit(writes: string[], replies: ReplyOrder): void {
  let partCount = 0;
  for (const write of writes) {
    const index = shardIndexOf(write, 0, keyEnd(write, 0));
    if (commitWrites[index] === 0) partCount += 1;
    commitWrites[index] = (commitWrites[index] ?? 0) + 1;
    commitLines[index] += `P ${write}\n`;
  }
  if (partCount === 0) {
    replies.ready(OK_REPLY);
    return;
  }
  const reply: PendingReply = replies.pending(partCount);
  for (let index = 0; index < shardCount; index += 1) {
    if (commitWrites[index] === 0) continue;
    shards[index]?.add(`C ${commitWrites[index]}\n${commitLines[index]}`, reply);
    commitWrites[index] = 0;
    commitLines[index] = '';
  }
}

/** Where a `key value` starting at `keyStart` ends its key (a PUT without a value: the line). */
function keyEnd(text: string, keyStart: number): number {
  const space = text.indexOf(' ', keyStart);
  return space === -1 ? text.length : space;
}

function shardOf(text: string, keyStart: number, keyEnd: number): FloorShardHandle {
  return shards[shardIndexOf(text, keyStart, keyEnd)] as FloorShardHandle;
}

/** A multiplicative string hash of `text[keyStart, keyEnd)`: cheap, and spread well enough
 * over the bench's keys; which shard a key lands on matters only in that it is always the same. */
function shardIndexOf(text: string, keyStart: number, keyEnd: number): number {
  let hash = 0;
  for (let i = keyStart; i < keyEnd; i += 1) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return (hash >>> 0) % shardCount;
}

function wholeArgument(name: string, text: string | undefined, fallback: number, min: number) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} ${JSON.stringify(text)} is not valid: expected an integer >= ${min}`);
  }
  return value;
}
