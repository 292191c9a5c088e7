/**
 * The commands one connection has sent and not yet had answered, oldest first. Replies come
 * back in order (SPEC.md section 3), so the head of this queue is always what the next reply
 * answers. Typed-array rings rather than an array of objects: no allocation per command.
 * The capacity is fixed by the caller from the pipeline depth (commands in flight), and
 * pushing past it is a bug in the bench, so it throws.
 */
import type { ReplyKind } from './protocols/reply.js';

export class InFlightQueue {
  private readonly expected: Uint8Array;
  private readonly checks: Float64Array;
  private readonly sentAt: Float64Array;
  /** 1 where the command is a transaction's last (its right reply counts one transaction). */
  private readonly endsTx: Uint8Array;
  private readonly mask: number;
  private head = 0;
  private count = 0;

  constructor(commandsMax: number) {
    let capacity = 1;
    while (capacity < commandsMax) capacity *= 2;
    this.expected = new Uint8Array(capacity);
    this.checks = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.endsTx = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  push(expected: ReplyKind, check: number, sentAtMs: number, endsTx: boolean): void {
    if (this.count > this.mask) throw new Error('in-flight queue overflow: a bench bug');
    const slot = (this.head + this.count) & this.mask;
    this.expected[slot] = expected;
    this.checks[slot] = check;
    this.sentAt[slot] = sentAtMs;
    this.endsTx[slot] = endsTx ? 1 : 0;
    this.count += 1;
  }

  headExpected(): ReplyKind {
    return this.expected[this.head] as ReplyKind;
  }

  /** What the head's reply is checked against beyond its kind (see CommandSink.add). */
  headCheck(): number {
    return this.checks[this.head] ?? -1;
  }

  headSentAt(): number {
    return this.sentAt[this.head] ?? 0;
  }

  headEndsTx(): boolean {
    return this.endsTx[this.head] === 1;
  }

  shift(): void {
    this.head = (this.head + 1) & this.mask;
    this.count -= 1;
  }
}
