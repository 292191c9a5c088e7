/**
 * RESP2, the Redis protocol, from the client side: commands as arrays of bulk strings, replies
 * parsed in place. Only what the bench sends has to come back right (GET, SET, MULTI, EXEC),
 * but every RESP2 reply type is framed correctly so an unexpected reply is counted, not
 * misread. Arrays (the EXEC result) are folded into one reply whose kind says whether every
 * element was `+OK`, or any was an error; their elements are not reported on their own.
 * RESP cannot be resynchronised after a bad type byte, so the parser then stops for good and
 * says so through `broken`; the client closes that connection.
 */
import type { ProtocolCodec } from './codec.js';
import { ReplyKind, type ReplyParser, type ReplySink } from './reply.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OK = Buffer.from('OK');
const QUEUED = Buffer.from('QUEUED');

interface OpenArray {
  count: number;
  remaining: number;
  anyError: boolean;
  allOk: boolean;
}

/** Digits of the longest count an array header may carry (readInteger's limit). */
const COUNT_DIGITS_MAX = 15;

export class RespReplyParser implements ReplyParser {
  broken = false;
  // An unfinished reply, copied out of the caller's (reused) chunks; parsing waits until
  // `neededBytes` have come (when a bulk header told us the size) so a 64 KiB value is copied
  // once, not per chunk.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private neededBytes = 0;
  private readonly openArrays: OpenArray[] = [];
  // An ArrayOk's count is handed to the sink as digits written here: the header's own bytes
  // may be in a chunk already gone, and one reused buffer keeps EXEC free of allocations.
  private readonly countDigits = Buffer.alloc(COUNT_DIGITS_MAX);

  constructor(private readonly sink: ReplySink) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    let buf = chunk;
    if (this.pending.length > 0) {
      this.pending.push(Buffer.from(chunk));
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.neededBytes) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let pos = 0;
    while (pos < buf.length && !this.broken) {
      const next = this.parseOne(buf, pos);
      if (next === -1) break;
      pos = next;
    }
    if (pos < buf.length && !this.broken) {
      const rest = Buffer.from(buf.subarray(pos));
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
  }

  /** Parses the reply at `pos`; returns the position after it, or -1 if it is incomplete. */
  private parseOne(buf: Buffer, pos: number): number {
    const newline = buf.indexOf(NEWLINE, pos);
    if (newline === -1) {
      this.neededBytes = 0;
      return -1;
    }
    const lineEnd = newline - 1;
    if (lineEnd <= pos || buf[lineEnd] !== CARRIAGE_RETURN) return this.fail(buf, pos, newline);
    const type = buf[pos];
    const next = newline + 1;
    if (type === 0x2b /* + */) {
      this.complete(simpleKind(buf, pos + 1, lineEnd), buf, pos + 1, lineEnd);
      return next;
    }
    if (type === 0x2d /* - */) return this.completeAt(ReplyKind.Error, buf, pos + 1, lineEnd, next);
    if (type === 0x3a /* : */) return this.completeAt(ReplyKind.Other, buf, pos + 1, lineEnd, next);
    const count = readInteger(buf, pos + 1, lineEnd);
    if (Number.isNaN(count) || count < -1) return this.fail(buf, pos, newline);
    if (count === -1) return this.completeAt(ReplyKind.Nil, buf, pos, lineEnd, next);
    if (type === 0x24 /* $ */) return this.bulk(buf, pos, next, count);
    if (type === 0x2a /* * */) {
      if (count === 0) {
        this.complete(ReplyKind.ArrayOk, this.countDigits, 0, this.writeCount(0));
        return next;
      }
      this.openArrays.push({ count, remaining: count, anyError: false, allOk: true });
      return next;
    }
    return this.fail(buf, pos, newline);
  }

  private bulk(buf: Buffer, pos: number, valueStart: number, length: number): number {
    const valueEnd = valueStart + length;
    const end = valueEnd + 2;
    if (end > buf.length) {
      this.neededBytes = end - pos;
      return -1;
    }
    if (buf[valueEnd] !== CARRIAGE_RETURN || buf[valueEnd + 1] !== NEWLINE) {
      return this.fail(buf, pos, end);
    }
    this.complete(ReplyKind.Value, buf, valueStart, valueEnd);
    return end;
  }

  private completeAt(kind: ReplyKind, buf: Buffer, start: number, end: number, next: number) {
    this.complete(kind, buf, start, end);
    return next;
  }

  /** A finished reply either goes to the sink or counts as one element of the open array. */
  private complete(kind: ReplyKind, buf: Buffer, start: number, end: number): void {
    let current = kind;
    // The range handed on: the reply's own, or an ArrayOk's count (plain locals, no object).
    let rangeBuf = buf;
    let rangeStart = start;
    let rangeEnd = end;
    let array = this.openArrays.at(-1);
    while (array !== undefined) {
      if (current === ReplyKind.Error || current === ReplyKind.ArrayWithError) {
        array.anyError = true;
      }
      if (current !== ReplyKind.Ok) array.allOk = false;
      array.remaining -= 1;
      if (array.remaining > 0) return;
      this.openArrays.pop();
      current = arrayKind(array);
      if (current === ReplyKind.ArrayOk) {
        rangeBuf = this.countDigits;
        rangeStart = 0;
        rangeEnd = this.writeCount(array.count);
      }
      array = this.openArrays.at(-1);
    }
    this.sink(current, rangeBuf, rangeStart, rangeEnd);
  }

  /** Writes `count` in decimal at the start of countDigits; returns the digits written. */
  private writeCount(count: number): number {
    let digits = 1;
    while (10 ** digits <= count) digits += 1;
    let rest = count;
    for (let pos = digits - 1; pos >= 0; pos -= 1) {
      this.countDigits[pos] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    return digits;
  }

  private fail(buf: Buffer, start: number, end: number): number {
    this.broken = true;
    this.pending = [];
    this.sink(ReplyKind.Malformed, buf, start, Math.min(end, buf.length));
    return -1;
  }
}

function arrayKind(array: OpenArray): ReplyKind {
  if (array.anyError) return ReplyKind.ArrayWithError;
  return array.allOk ? ReplyKind.ArrayOk : ReplyKind.ArrayOther;
}

function simpleKind(buf: Buffer, start: number, end: number): ReplyKind {
  if (end - start === OK.length && buf.compare(OK, 0, OK.length, start, end) === 0) {
    return ReplyKind.Ok;
  }
  if (end - start === QUEUED.length && buf.compare(QUEUED, 0, QUEUED.length, start, end) === 0) {
    return ReplyKind.Queued;
  }
  return ReplyKind.Other;
}

/** A RESP length or count: at most a few digits, so a loop beats slicing out a string. */
function readInteger(buf: Buffer, start: number, end: number): number {
  let pos = start;
  const negative = buf[pos] === 0x2d;
  if (negative) pos += 1;
  if (pos >= end || end - pos > 15) return Number.NaN;
  let value = 0;
  for (; pos < end; pos += 1) {
    const digit = (buf[pos] ?? 0) - 0x30;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Encodes one command as a RESP array of bulk strings. Arguments are ASCII in the bench. */
function command(...words: string[]): string {
  let text = `*${words.length}\r\n`;
  for (const word of words) text += `$${Buffer.byteLength(word)}\r\n${word}\r\n`;
  return text;
}

const MULTI = command('MULTI');
const EXEC = command('EXEC');

export const respCodec: ProtocolCodec = {
  name: 'resp',
  get: (key) => `*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`,
  put: (key, value) =>
    `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`,
  begin: () => MULTI,
  commit: () => EXEC,
  putInTxReply: ReplyKind.Queued,
  commitReply: ReplyKind.ArrayOk,
  createParser: (sink) => new RespReplyParser(sink),
};

export { command as respCommand };
