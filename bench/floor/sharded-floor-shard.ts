/**
 * One shard thread of the sharded floor: it alone owns its Map, and answers the batches the
 * main thread posts (layout: sharded-floor-wire.ts), in order, one reply line per command
 * group. It does what Haus's shard must do for GET, PUT and a commit's writes and nothing
 * else: no locks, no undo records, no limits, no checks.
 *
 * Started by sharded-floor-server.ts as `new Worker(...)`; it is not meant to be run alone.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  CONTINUE_BATCH,
  GROUP_COMMIT,
  GROUP_GET,
  GROUP_PUT,
  hitReply,
  MISS_REPLY,
  OK_REPLY,
  type ShardSlots,
} from './sharded-floor-wire.js';

const mainThread = parentPort;
if (mainThread === null) {
  throw new Error('sharded-floor-shard.js is a shard thread: run sharded-floor-server.js');
}
const slots = workerData as ShardSlots;
const requestSlot = Buffer.from(slots.request);
const replySlot = Buffer.from(slots.reply);
const store = new Map<string, string>();

/** The batch being answered, and where its next unanswered group starts. */
let batch = '';
let groupStart = 0;

mainThread.on('message', (requestBytes: number) => {
  if (requestBytes === CONTINUE_BATCH) {
    if (groupStart >= batch.length) throw new Error('CONTINUE_BATCH with no batch left: a bug');
  } else {
    batch = requestSlot.toString('latin1', 0, requestBytes);
    groupStart = 0;
  }
  const replies = answerGroups();
  mainThread.postMessage(replySlot.write(replies, 0, 'latin1'));
});

/**
 * Answers groups from `groupStart` until the batch ends or the next reply would not fit the
 * reply slot; the groups left are answered after CONTINUE_BATCH. A GET is looked up before
 * its reply is measured, which is harmless: a GET changes nothing if it has to wait.
 */
function answerGroups(): string {
  let replies = '';
  while (groupStart < batch.length) {
    const lineEnd = batch.indexOf('\n', groupStart);
    const group = batch.charCodeAt(groupStart);
    let reply = OK_REPLY;
    if (group === GROUP_GET) {
      const value = store.get(batch.slice(groupStart + 2, lineEnd));
      reply = value === undefined ? MISS_REPLY : hitReply(value);
    }
    if (replies.length + reply.length > replySlot.length) break;
    if (group === GROUP_GET) {
      groupStart = lineEnd + 1;
    } else if (group === GROUP_PUT) {
      groupStart = put(groupStart, lineEnd);
    } else if (group === GROUP_COMMIT) {
      groupStart = commit(groupStart, lineEnd);
    } else {
      throw new Error(`unknown batch line ${JSON.stringify(batch.slice(groupStart, lineEnd))}`);
    }
    replies += reply;
  }
  if (replies.length === 0) {
    // Only a value too big for the slot's one reply gets here; cutting it would be a lie.
    throw new Error(`a reply does not fit the shard's ${replySlot.length}-byte reply slot`);
  }
  return replies;
}

/** `P <key> <value>` in `batch[lineStart, lineEnd)`; returns where the next line starts. */
function put(lineStart: number, lineEnd: number): number {
  let space = batch.indexOf(' ', lineStart + 2);
  // `P <key>` with no value stores an empty one, as the main thread routed it by the whole
  // key; the search must not run on into the next line.
  if (space === -1 || space > lineEnd) space = lineEnd;
  store.set(batch.slice(lineStart + 2, space), batch.slice(space + 1, lineEnd));
  return lineEnd + 1;
}

/** `C <n>` and its n P lines: applied together, as nothing else runs on this thread. */
function commit(lineStart: number, lineEnd: number): number {
  const writes = Number(batch.slice(lineStart + 2, lineEnd));
  let next = lineEnd + 1;
  for (let write = 0; write < writes; write += 1) {
    next = put(next, batch.indexOf('\n', next));
  }
  return next;
}
