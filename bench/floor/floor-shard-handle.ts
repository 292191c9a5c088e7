/**
 * The sharded floor's main-thread handle to one shard thread: it gathers the command groups
 * an event-loop turn sends to the shard into one batch, sends it through the shard's request
 * slot when the turn is over, and hands each reply line to the PendingReply waiting for it.
 * What must always hold: at most one batch is in flight (the slots are reused, so a second
 * batch would overwrite the first), batches go in the order their groups came (a GET after a
 * PUT of the same key must see it), and no batch is larger than the request slot.
 */
import { Worker } from 'node:worker_threads';
import type { PendingReply } from './reply-order.js';
import { CONTINUE_BATCH, type ShardSlots } from './sharded-floor-wire.js';

interface Batch {
  text: string;
  /** One per command group in `text`, in the same order. */
  replies: PendingReply[];
}

const SHARD_SCRIPT = new URL('./sharded-floor-shard.js', import.meta.url);

export class FloorShardHandle {
  private readonly worker: Worker;
  private readonly requestSlot: Buffer;
  private readonly replySlot: Buffer;
  /** The batch this turn is gathering. */
  private gathering: Batch = { text: '', replies: [] };
  /** Batches that filled the request slot while another was in flight, oldest first. Only a
   * turn with more than a slot's bytes for one shard makes one. */
  private readonly full: Batch[] = [];
  /** The replies of the batch the shard is answering; null while it is idle. */
  private inFlight: PendingReply[] | null = null;
  /** How many of `inFlight` are answered: a full reply slot answers a batch in parts. */
  private answered = 0;
  private sendScheduled = false;

  constructor(options: { index: number; slotBytes: number }) {
    const { index, slotBytes } = options;
    const slots: ShardSlots = {
      request: new SharedArrayBuffer(slotBytes),
      reply: new SharedArrayBuffer(slotBytes),
    };
    this.requestSlot = Buffer.from(slots.request);
    this.replySlot = Buffer.from(slots.reply);
    this.worker = new Worker(SHARD_SCRIPT, { workerData: slots, name: `floor shard ${index}` });
    this.worker.on('message', (replyBytes: number) => this.deliver(replyBytes));
    // A shard that fails took its Map with it: the floor stops rather than answer wrongly.
    this.worker.on('error', (error) => {
      console.error(`floor shard ${index} failed:`, error);
      process.exit(1);
    });
    this.worker.on('exit', (code) => {
      console.error(`floor shard ${index} exited (code ${code})`);
      process.exit(1);
    });
  }

  /**
   * Adds one command group (one or more whole batch lines) whose reply line goes to `reply`.
   * The batch goes when this turn's I/O is done (setImmediate), so every connection read in
   * the turn shares it.
   */
  add(group: string, reply: PendingReply): void {
    const fits = this.gathering.text.length + group.length <= this.requestSlot.length;
    if (!fits) this.startNextBatch(group);
    this.gathering.text += group;
    this.gathering.replies.push(reply);
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(this.sendScheduledBatch);
  }

  private startNextBatch(group: string): void {
    if (group.length > this.requestSlot.length) {
      throw new Error(
        `a command group of ${group.length} bytes does not fit a shard's ` +
          `${this.requestSlot.length}-byte request slot`,
      );
    }
    this.full.push(this.gathering);
    this.gathering = { text: '', replies: [] };
  }

  private readonly sendScheduledBatch = (): void => {
    this.sendScheduled = false;
    this.send();
  };

  private send(): void {
    if (this.inFlight !== null) return;
    let batch = this.full.shift();
    if (batch === undefined) {
      if (this.gathering.replies.length === 0) return;
      batch = this.gathering;
      this.gathering = { text: '', replies: [] };
    }
    const requestBytes = this.requestSlot.write(batch.text, 0, 'latin1');
    if (requestBytes !== batch.text.length) throw new Error('a batch was cut short: a bug');
    this.inFlight = batch.replies;
    this.answered = 0;
    this.worker.postMessage(requestBytes);
  }

  /** One reply line per group, in order; then the rest of the batch, or the next batch. */
  private deliver(replyBytes: number): void {
    const replies = this.inFlight;
    if (replies === null) throw new Error('a shard answered with no batch in flight: a bug');
    const text = this.replySlot.toString('latin1', 0, replyBytes);
    for (let at = 0; at < text.length; ) {
      const lineEnd = text.indexOf('\n', at) + 1;
      (replies[this.answered] as PendingReply).settle(text.slice(at, lineEnd));
      this.answered += 1;
      at = lineEnd;
    }
    if (this.answered < replies.length) {
      this.worker.postMessage(CONTINUE_BATCH);
      return;
    }
    this.inFlight = null;
    this.send();
  }
}
