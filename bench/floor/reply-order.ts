/**
 * One connection's replies in the order its commands came, for the sharded floor. A command
 * answered on the main thread (START, a PUT inside a transaction, an unknown command) queues
 * its reply text at once; a command sent to shards queues a PendingReply, filled in when its
 * shards answer. Shards answer in their own time, so a reply that is ready waits behind any
 * older one that is not: the flush writes the longest ready run from the front, once per tick,
 * as one socket write.
 */
import type { Socket } from 'node:net';

/** A reply some shards still owe: a COMMIT's writes may be spread over several. */
export class PendingReply {
  text: string | null = null;

  constructor(
    private readonly order: ReplyOrder,
    /** Shards still to answer; the last one's reply line is this command's reply. */
    private partsLeft: number,
  ) {}

  settle(text: string): void {
    this.partsLeft -= 1;
    if (this.partsLeft > 0) return;
    this.text = text;
    this.order.scheduleFlush();
  }
}

/** Past this many written entries still at the front, the queue drops them (it rarely gets here:
 * the queue empties whenever every reply is in, which at P=16 is most turns). */
const WRITTEN_KEPT_MAX = 1024;

export class ReplyOrder {
  /** Oldest first; entries before `head` are already written. */
  private readonly queue: Array<string | PendingReply> = [];
  private head = 0;
  private flushScheduled = false;

  constructor(private readonly socket: Socket) {}

  ready(text: string): void {
    this.queue.push(text);
  }

  /** Queues a reply that `parts` shards must answer before it can go. */
  pending(parts: number): PendingReply {
    const reply = new PendingReply(this, parts);
    this.queue.push(reply);
    return reply;
  }

  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    let out = '';
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as string | PendingReply;
      const text = typeof entry === 'string' ? entry : entry.text;
      if (text === null) break;
      out += text;
      this.head += 1;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > WRITTEN_KEPT_MAX) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (out.length > 0 && !this.socket.destroyed) this.socket.write(out, 'latin1');
  };
}
