/**
 * The commands one connection has sent and not yet had answered, oldest first. Replies come
 * back in order (SPEC.md section 3), so the head of this queue is always what the next reply
 * answers. Typed-array rings rather than an array of objects: no allocation per command.
 * The capacity is fixed by the caller from the pipeline depth, and pushing past it is a bug in
 * the bench, so it throws.
 */
import type { ReplyKind } from './protocols/reply.js';

export class InFlightQueue {
  private readonly expected: Uint8Array;
  private readonly keyIndexes: Float64Array;
  private readonly opStartedAt: Float64Array;
  private readonly mask: number;
  private head = 0;
  private count = 0;

  constructor(commandsMax: number) {
    let capacity = 1;
    while (capacity < commandsMax) capacity *= 2;
    this.expected = new Uint8Array(capacity);
    this.keyIndexes = new Float64Array(capacity);
    this.opStartedAt = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** `opStartedAtMs` >= 0 marks the command whose reply completes an op. */
  push(expected: ReplyKind, keyIndex: number, opStartedAtMs: number): void {
    if (this.count > this.mask) throw new Error('in-flight queue overflow: a bench bug');
    const slot = (this.head + this.count) & this.mask;
    this.expected[slot] = expected;
    this.keyIndexes[slot] = keyIndex;
    this.opStartedAt[slot] = opStartedAtMs;
    this.count += 1;
  }

  headExpected(): ReplyKind {
    return this.expected[this.head] as ReplyKind;
  }

  headKeyIndex(): number {
    return this.keyIndexes[this.head] ?? -1;
  }

  headOpStartedAt(): number {
    return this.opStartedAt[this.head] ?? -1;
  }

  shift(): void {
    this.head = (this.head + 1) & this.mask;
    this.count -= 1;
  }
}
