/**
 * Cuts a connection's byte stream into command lines (SPEC.md section 1).
 *
 * A line ends at `\n`; a `\r` right before it is dropped. Lines are returned as byte ranges and
 * never decoded here: a UTF-8 character split across packets is whole again once its line is.
 * A line inside one packet is a range of that packet, not a view of it: a view per command
 * cost as much as finding the line (bench/run.ts, P=16).
 * A partial line is kept as a list of pieces and joined once, so a 10 MiB value arriving in
 * 64 KiB packets is copied once, not once per packet.
 *
 * A line longer than the limit is reported once, as soon as the limit is passed, and the rest
 * of it is dropped as it arrives, never buffered. The splitter is pulled (`next()`), so a
 * connection that must wait (a commit in flight) simply stops pulling.
 */

export const lineTooLong: unique symbol = Symbol('lineTooLong');

/** A complete line: `bytes[start, end)`, without its line ending. The splitter reuses this
 * object for its next line; `bytes` itself is never reused or changed. */
export interface LineRange {
  bytes: Buffer;
  start: number;
  end: number;
}

export type SplitLine = LineRange | typeof lineTooLong;

const newline = 0x0a;
const carriageReturn = 0x0d;
const emptyBytes = Buffer.alloc(0);

export class LineSplitter {
  private readonly lineBytesMax: number;
  /** Received chunks not yet scanned; `head` is the one being scanned, from `headOffset`. */
  private readonly received: Buffer[] = [];
  private head: Buffer | null = null;
  private headOffset = 0;
  /** Pieces of the current line that arrived without its `\n`. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** True from the moment a line passed the limit until its `\n` arrives. */
  private discarding = false;
  private receivedBytes = 0;
  /** Bytes of over-long lines dropped so far (never decreases). */
  droppedBytes = 0;
  private readonly line: LineRange = { bytes: Buffer.alloc(0), start: 0, end: 0 };

  constructor(lineBytesMax: number) {
    this.lineBytesMax = lineBytesMax;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.received.push(chunk);
    this.receivedBytes += chunk.length;
  }

  /** Bytes held: unscanned chunks plus the partial line. Bounded by the line limit plus what
   * arrives while the connection is paused. */
  get bufferedBytes(): number {
    return this.receivedBytes + this.partialBytes;
  }

  /** True when bytes of an unterminated line are held, once `next()` has returned null (for
   * the legacy flush timer). */
  get hasPartialLine(): boolean {
    return this.partialBytes > 0;
  }

  /** The next complete line, `lineTooLong` once for an over-long line, or null for "need more
   * bytes". */
  next(): SplitLine | null {
    // The previous line was handled: its bytes (a packet, or a joined long line) must not stay
    // pinned by an idle connection.
    this.line.bytes = emptyBytes;
    for (;;) {
      if (this.head === null) {
        const chunk = this.received.shift();
        if (chunk === undefined) return null;
        this.receivedBytes -= chunk.length;
        this.head = chunk;
        this.headOffset = 0;
      }
      const head = this.head;
      // Fast path (bench/run.ts, P=16): Buffer.indexOf scans natively; no per-byte JS loop.
      const end = head.indexOf(newline, this.headOffset);
      if (end === -1) {
        const tooLong = this.keepPartial(head.subarray(this.headOffset));
        this.head = null;
        if (tooLong) return lineTooLong;
        continue;
      }
      const start = this.headOffset;
      this.headOffset = end + 1;
      if (this.headOffset === head.length) this.head = null;
      if (this.discarding) {
        this.droppedBytes += end - start;
        this.discarding = false;
        continue;
      }
      return this.finishLine(head, start, end);
    }
  }

  /** At end of input (or the legacy flush delay), the bytes of an unterminated line are a
   * command: no more bytes can come to complete it. Returns null when there are none. */
  takeUnterminated(): SplitLine | null {
    const line = this.next();
    if (line !== null) return line;
    if (this.discarding) {
      this.discarding = false;
      return null;
    }
    if (this.partialBytes === 0) return null;
    return this.finishLine(emptyBytes, 0, 0);
  }

  /** Returns true when this piece pushed the line over the limit (reported once). */
  private keepPartial(piece: Buffer): boolean {
    if (piece.length === 0) return false;
    if (this.discarding) {
      this.droppedBytes += piece.length;
      return false;
    }
    // Over the limit, unless the one byte over is a `\r` that may be the line ending's (which
    // does not count): then the next byte decides.
    const lineBytes = this.partialBytes + piece.length;
    const endsInCarriageReturn = piece[piece.length - 1] === carriageReturn;
    if (lineBytes > this.lineBytesMax + (endsInCarriageReturn ? 1 : 0)) {
      this.droppedBytes += lineBytes;
      this.partial = [];
      this.partialBytes = 0;
      this.discarding = true;
      return true;
    }
    this.partial.push(piece);
    this.partialBytes += piece.length;
    return false;
  }

  /** The line that ends with `bytes[start, end)`, joined with its earlier pieces if any. */
  private finishLine(bytes: Buffer, start: number, end: number): SplitLine {
    let lineBytes = bytes;
    let lineStart = start;
    let lineEnd = end;
    if (this.partial.length > 0) {
      this.partial.push(bytes.subarray(start, end));
      lineBytes = Buffer.concat(this.partial, this.partialBytes + end - start);
      lineStart = 0;
      lineEnd = lineBytes.length;
      this.partial = [];
      this.partialBytes = 0;
    }
    if (lineEnd > lineStart && lineBytes[lineEnd - 1] === carriageReturn) lineEnd--;
    if (lineEnd - lineStart > this.lineBytesMax) return lineTooLong;
    const line = this.line;
    line.bytes = lineBytes;
    line.start = lineStart;
    line.end = lineEnd;
    return line;
  }
}
