/**
 * Turns the bytes a Redis client sends into requests, as Redis 7 reads them on the server side
 * (`processMultibulkBuffer` and `processInlineBuffer` in src/networking.c).
 *
 * A request is `*<count>\r\n` and then count bulk strings `$<length>\r\n<bytes>\r\n`, or, where
 * the port allows it, an inline line split into arguments the way Redis's `sdssplitargs` does.
 * Arguments are byte ranges, never decoded, so they are binary-safe.
 *
 * The parser is pulled (`next()`) and keeps its place between packets: a scan resumes where the
 * bytes ran out, so a 16 MiB argument arriving in 64 KiB packets is read in linear time. A
 * request inside one packet comes back as ranges of that packet, with no copy (the common case).
 * A request that spans packets is joined once into a buffer of its own, sized up front when a
 * bulk length says how many bytes are still to come, as Redis sizes its query buffer. Lengths are
 * read by hand, a byte at a time, and the request object is reused: 16 pipelined SETs in one
 * packet take about 56 ns a request (node 20, this VM; no bench/ file defends it yet).
 *
 * What the parser holds is bounded by one request: a `*` or `$` line by 64 KiB, an inline line
 * by `inlineBytesMax`, a request by `argsMax` bulks of at most `bulkBytesMax` bytes. That product
 * can be far larger than a server can hold, so the connection also bounds the bytes of one
 * request (it reads `bufferedBytes`). The parser never throws for what a client sends: a protocol
 * error is a value, and it is final, as in Redis: the server replies with it and closes, so the
 * parser drops what it holds and answers every later `next()` with the same error.
 */

export interface RespParserLimits {
  /** Longest bulk string (argument) in bytes; a `$` length above it is a protocol error. */
  bulkBytesMax: number;
  /** Most arguments in one multibulk request (`*` count); above it is a protocol error. */
  argsMax: number;
  /** Longest inline command line in bytes (inline mode only). */
  inlineBytesMax: number;
  /** true: a request not starting with `*` is an inline command (Redis's own ports); false:
   * every request must be multibulk. */
  inline: boolean;
}

/** One request: argument i is `bytes[starts[i], ends[i])` (absolute offsets into `bytes`, which
 * stays valid and unchanged until the next call to push(); callers copy what they keep). The
 * object and its `starts` and `ends` arrays are the parser's own and are reused by the next
 * call to next(). */
export interface RespRequest {
  kind: 'request';
  bytes: Buffer;
  starts: number[];
  ends: number[];
  count: number;
}

/** `message` is what follows `-ERR ` in the reply. */
export interface RespProtocolError {
  kind: 'error';
  message: string;
}

/** Redis's own texts, kept byte for byte: clients and Redis's test suite match on them. */
export const respErrors = {
  invalidMultibulkLength: 'Protocol error: invalid multibulk length',
  invalidBulkLength: 'Protocol error: invalid bulk length',
  expectedDollar: (got: number) => `Protocol error: expected '$', got '${shownByte(got)}'`,
  /** Not Redis's: Redis has no port without inline commands. Worded like the `$` one. */
  expectedStar: (got: number) => `Protocol error: expected '*', got '${shownByte(got)}'`,
  tooBigMbulkCountString: 'Protocol error: too big mbulk count string',
  tooBigBulkCountString: 'Protocol error: too big bulk count string',
  tooBigInlineRequest: 'Protocol error: too big inline request',
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
} as const;

/** Redis prints the byte as it is, except that a `\r` or `\n` would end the reply line early
 * and becomes a space. */
function shownByte(byte: number): string {
  return byte === carriageReturn || byte === newline ? ' ' : String.fromCharCode(byte);
}

/** Redis's PROTO_INLINE_MAX_SIZE: a `*` or `$` line whose `\r` has not come within this many
 * bytes of its start is an error, so a client cannot make the server hold an endless number. */
const lengthLineBytesMax = 64 * 1024;
/** Argument arrays grown past this are replaced after their request, so one huge request does not
 * pin them on an idle connection (Redis also starts each argv at 1024 at most). */
const argsKeptMax = 1024;

const star = 0x2a;
const dollar = 0x24;
const minus = 0x2d;
const digitZero = 0x30;
const carriageReturn = 0x0d;
const newline = 0x0a;
const emptyBytes = Buffer.alloc(0);
/** LLONG_MAX: Redis reads lengths as signed 64-bit integers and rejects any that overflow. */
const int64MaxDigits = Buffer.from('9223372036854775807');

/** findLineEnd's answers besides an offset. */
const needMoreBytes = -1;
const lineTooLong = -2;

/** Where the parse is; each state reads one unit that starts at `pos`. */
const atRequestStart = 0;
const inCountLine = 1;
const inBulkHeader = 2;
const inBulkBody = 3;
const inInlineLine = 4;
type ParseState = 0 | 1 | 2 | 3 | 4;

/** A step's answer when it moved on and the parse should go on with the next unit. */
const proceed: unique symbol = Symbol('proceed');
type Step = RespRequest | RespProtocolError | null | typeof proceed;

export class RespParser {
  private bulkBytesMax: number;
  private argsMax: number;
  private inlineBytesMax: number;
  private readonly inline: boolean;
  /** Chunks pushed that the parse has not reached yet. */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The bytes being parsed: a received chunk, or, while a request spans chunks, the filled part
   * of `assembly`. */
  private bytes: Buffer = emptyBytes;
  private requestStart = 0;
  /** Start of the unit being read (a line or a bulk) in `bytes`. */
  private pos = 0;
  /** Where the search for the current line's end resumes, so no byte is scanned twice. */
  private scanFrom = 0;
  private state: ParseState = atRequestStart;
  private argsLeft = 0;
  private bulkBytes = 0;
  /** The buffer a request spanning chunks is joined in (its capacity may run ahead of `bytes`),
   * and the last piece copied into it, at `lastPieceAt`: what follows the request lies there and
   * is parsed in place again. Null when the parse is in a received chunk. */
  private assembly: Buffer | null = null;
  private lastPiece: Buffer = emptyBytes;
  private lastPieceAt = 0;
  private readonly request: RespRequest = {
    kind: 'request',
    bytes: emptyBytes,
    starts: [],
    ends: [],
    count: 0,
  };
  private failure: RespProtocolError | null = null;

  constructor(limits: RespParserLimits) {
    this.bulkBytesMax = limits.bulkBytesMax;
    this.argsMax = limits.argsMax;
    this.inlineBytesMax = limits.inlineBytesMax;
    this.inline = limits.inline;
  }

  /** New limits for the requests not parsed yet: a client that authenticates gets the full
   * ones (parsing is pulled by next(), so pipelined requests after AUTH get them too). */
  setLimits(limits: Omit<RespParserLimits, 'inline'>): void {
    this.bulkBytesMax = limits.bulkBytesMax;
    this.argsMax = limits.argsMax;
    this.inlineBytesMax = limits.inlineBytesMax;
  }

  /** Adds received bytes; the chunk is kept, not copied, so the caller must not change it. */
  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.failure !== null) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /** Bytes received and not yet returned in a request: the part of a request read so far and
   * the chunks not reached. A joined request's buffer may be reserved larger, up to the end of
   * the bulk being read. */
  get bufferedBytes(): number {
    const consumed = this.state === atRequestStart ? this.pos : this.requestStart;
    return this.bytes.length - consumed + this.pendingBytes;
  }

  /** The next request, a protocol error (then always that error), or null for "need more
   * bytes". */
  next(): RespRequest | RespProtocolError | null {
    if (this.failure !== null) return this.failure;
    // The previous request was handled: its packet must not stay pinned by an idle connection.
    this.request.bytes = emptyBytes;
    for (;;) {
      const step = this.step();
      if (step === proceed) continue;
      if (step !== null) return step;
      const chunk = this.pending.shift();
      if (chunk === undefined) return null;
      this.pendingBytes -= chunk.length;
      if (this.state === atRequestStart) this.startChunk(chunk);
      else this.append(chunk);
    }
  }

  private step(): Step {
    switch (this.state) {
      case atRequestStart:
        return this.startRequest();
      case inCountLine:
        return this.readCount();
      case inBulkHeader:
        return this.readBulkHeader();
      case inBulkBody:
        return this.readBulkBody();
      default:
        return this.readInlineLine();
    }
  }

  /** Redis decides the kind of each request by its first byte alone. */
  private startRequest(): Step {
    if (this.assembly !== null) this.leaveAssembly();
    const bytes = this.bytes;
    const pos = this.pos;
    if (pos === bytes.length) {
      this.bytes = emptyBytes;
      this.pos = 0;
      return null;
    }
    const request = this.request;
    if (request.starts.length > argsKeptMax) {
      request.starts = [];
      request.ends = [];
    }
    request.count = 0;
    this.requestStart = pos;
    this.scanFrom = pos;
    const first = bytes[pos] as number;
    if (first === star) {
      this.state = inCountLine;
    } else if (this.inline) {
      this.state = inInlineLine;
    } else {
      return this.fail(respErrors.expectedStar(first));
    }
    return proceed;
  }

  /** `*<count>\r\n`. A count of zero or less is no request at all: Redis skips it. */
  private readCount(): Step {
    const lineEnd = this.findLineEnd();
    if (lineEnd === needMoreBytes) return null;
    if (lineEnd === lineTooLong) return this.fail(respErrors.tooBigMbulkCountString);
    const count = parseDecimal(this.bytes, this.pos + 1, lineEnd);
    // NaN fails this test too.
    if (!(count <= this.argsMax)) return this.fail(respErrors.invalidMultibulkLength);
    this.pos = lineEnd + 2;
    this.scanFrom = this.pos;
    if (count <= 0) {
      this.state = atRequestStart;
    } else {
      this.argsLeft = count;
      this.state = inBulkHeader;
    }
    return proceed;
  }

  /** `$<length>\r\n`. Like Redis, the `$` is checked only once the whole line is in. */
  private readBulkHeader(): Step {
    const lineEnd = this.findLineEnd();
    if (lineEnd === needMoreBytes) return null;
    if (lineEnd === lineTooLong) return this.fail(respErrors.tooBigBulkCountString);
    const first = this.bytes[this.pos] as number;
    if (first !== dollar) return this.fail(respErrors.expectedDollar(first));
    const length = parseDecimal(this.bytes, this.pos + 1, lineEnd);
    if (!(length >= 0 && length <= this.bulkBytesMax)) {
      return this.fail(respErrors.invalidBulkLength);
    }
    this.bulkBytes = length;
    this.pos = lineEnd + 2;
    this.state = inBulkBody;
    return proceed;
  }

  /** The bulk's bytes and the two after them, which Redis skips without checking that they are
   * `\r\n`; so do we, so both servers cut a stream into the same requests. */
  private readBulkBody(): Step {
    const start = this.pos;
    const end = start + this.bulkBytes;
    if (end + 2 > this.bytes.length) return null;
    const request = this.request;
    request.starts[request.count] = start;
    request.ends[request.count] = end;
    request.count++;
    this.pos = end + 2;
    this.scanFrom = this.pos;
    this.argsLeft--;
    if (this.argsLeft > 0) {
      this.state = inBulkHeader;
      return proceed;
    }
    this.state = atRequestStart;
    request.bytes = this.bytes;
    return request;
  }

  /** A line up to `\n` (a `\r` before it dropped). A blank line is no request: Redis skips it.
   * The limit counts the line without its ending, wherever the packets split it (Redis checks
   * only while the `\n` is missing, so the same line may pass or fail there). */
  private readInlineLine(): Step {
    const bytes = this.bytes;
    const lineStart = this.requestStart;
    const lineFeed = bytes.indexOf(newline, this.scanFrom);
    if (lineFeed === -1) {
      // One byte over the limit may be the `\r` of the line ending: then the next byte decides.
      const endingBytes = bytes[bytes.length - 1] === carriageReturn ? 1 : 0;
      if (bytes.length - lineStart > this.inlineBytesMax + endingBytes) {
        return this.fail(respErrors.tooBigInlineRequest);
      }
      this.scanFrom = bytes.length;
      return null;
    }
    let lineEnd = lineFeed;
    if (lineEnd > lineStart && bytes[lineEnd - 1] === carriageReturn) lineEnd--;
    if (lineEnd - lineStart > this.inlineBytesMax) return this.fail(respErrors.tooBigInlineRequest);
    this.pos = lineFeed + 1;
    this.state = atRequestStart;
    const argBytes = splitInlineArgs(bytes, lineStart, lineEnd, this.request);
    if (argBytes === null) return this.fail(respErrors.unbalancedQuotes);
    if (this.request.count === 0) return proceed;
    this.request.bytes = argBytes;
    return this.request;
  }

  /** The offset of the `\r` that ends the `*` or `$` line at `pos`, once the byte after it has
   * arrived too (Redis takes that byte for the `\n` without looking at it), or needMoreBytes,
   * or lineTooLong when no `\r` came within 64 KiB. A byte loop: these lines are a few digits,
   * shorter than the cost of calling into `indexOf`. */
  private findLineEnd(): number {
    const bytes = this.bytes;
    const limit = Math.min(bytes.length, this.pos + lengthLineBytesMax + 1);
    let at = this.scanFrom;
    while (at < limit && bytes[at] !== carriageReturn) at++;
    if (at === limit) {
      if (at - this.pos > lengthLineBytesMax) return lineTooLong;
      this.scanFrom = at;
      return needMoreBytes;
    }
    if (at + 1 === bytes.length) {
      this.scanFrom = at;
      return needMoreBytes;
    }
    return at;
  }

  /** The first chunk of a request: parsed where it lies. */
  private startChunk(chunk: Buffer): void {
    this.bytes = chunk;
    this.pos = 0;
  }

  /** More bytes for a request that has begun: it is joined in a buffer of its own. Inside a bulk
   * only the bytes it still needs are taken, and the buffer is sized for them at once; the rest
   * of the chunk goes back to be parsed in place. Elsewhere the whole chunk is taken and the
   * buffer at least doubles when it grows, so joining stays linear either way. */
  private append(chunk: Buffer): void {
    const joined = this.assembly;
    const heldBytes = joined === null ? this.bytes.length - this.requestStart : this.bytes.length;
    let piece = chunk;
    let neededBytes = 0;
    if (this.state === inBulkBody) {
      const missingBytes = this.pos + this.bulkBytes + 2 - this.bytes.length;
      neededBytes = heldBytes + missingBytes;
      if (chunk.length > missingBytes) {
        piece = chunk.subarray(0, missingBytes);
        this.pending.unshift(chunk.subarray(missingBytes));
        this.pendingBytes += chunk.length - missingBytes;
      }
    }
    const totalBytes = heldBytes + piece.length;
    let assembly: Buffer;
    if (joined === null) {
      assembly = Buffer.allocUnsafe(Math.max(totalBytes, neededBytes));
      this.bytes.copy(assembly, 0, this.requestStart);
      this.rebase(this.requestStart);
    } else if (joined.length < totalBytes) {
      assembly = Buffer.allocUnsafe(Math.max(totalBytes, neededBytes, 2 * joined.length));
      joined.copy(assembly, 0, 0, heldBytes);
    } else {
      assembly = joined;
    }
    piece.copy(assembly, heldBytes);
    this.assembly = assembly;
    this.lastPiece = piece;
    this.lastPieceAt = heldBytes;
    this.bytes = assembly.subarray(0, totalBytes);
  }

  /** Moves every offset of the request begun so far to its place in the joined buffer. */
  private rebase(offset: number): void {
    this.requestStart -= offset;
    this.pos -= offset;
    this.scanFrom -= offset;
    const request = this.request;
    for (let i = 0; i < request.count; i++) {
      request.starts[i] = (request.starts[i] as number) - offset;
      request.ends[i] = (request.ends[i] as number) - offset;
    }
  }

  /** The joined request is done. A new buffer is joined for the next one rather than this one
   * reused, because the caller may still read the request returned from it. */
  private leaveAssembly(): void {
    const pos = this.pos - this.lastPieceAt;
    // A request waits for bytes only past its end, so it always ends in the last piece.
    if (pos < 0 || pos > this.lastPiece.length) {
      throw new Error('RespParser: a joined request ended outside its last piece');
    }
    this.bytes = this.lastPiece;
    this.pos = pos;
    this.assembly = null;
    this.lastPiece = emptyBytes;
  }

  private fail(message: string): RespProtocolError {
    this.failure = { kind: 'error', message };
    this.bytes = emptyBytes;
    this.pending.length = 0;
    this.pendingBytes = 0;
    this.assembly = null;
    this.lastPiece = emptyBytes;
    this.state = atRequestStart;
    this.pos = 0;
    return this.failure;
  }
}

/** Redis's string2ll: an optional `-`, then digits with no leading zero (or just `0`), within a
 * signed 64-bit integer; NaN for anything else. Past 2^53 the value loses precision, which is
 * harmless: every limit it is compared with is far smaller. */
function parseDecimal(bytes: Buffer, start: number, end: number): number {
  const negative = bytes[start] === minus;
  const digitsStart = negative ? start + 1 : start;
  const digits = end - digitsStart;
  if (digits <= 0 || digits > int64MaxDigits.length) return Number.NaN;
  if (bytes[digitsStart] === digitZero) return digits === 1 && !negative ? 0 : Number.NaN;
  let value = 0;
  for (let at = digitsStart; at < end; at++) {
    const digit = (bytes[at] as number) - digitZero;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  if (digits === int64MaxDigits.length && beyondInt64(bytes, digitsStart, negative)) {
    return Number.NaN;
  }
  return negative ? -value : value;
}

/** True when the 19 digits at `start` are past LLONG_MAX (or, negative, past LLONG_MIN). */
function beyondInt64(bytes: Buffer, start: number, negative: boolean): boolean {
  const last = int64MaxDigits.length - 1;
  for (let i = 0; i <= last; i++) {
    const limit = (int64MaxDigits[i] as number) + (negative && i === last ? 1 : 0);
    const digit = bytes[start + i] as number;
    if (digit !== limit) return digit > limit;
  }
  return false;
}

const space = 0x20;
const tab = 0x09;
const backslash = 0x5c;
const doubleQuote = 0x22;
const singleQuote = 0x27;
const letterX = 0x78;

/** C's isspace: space, `\t`, `\n`, `\v`, `\f`, `\r`. */
function isSpace(byte: number | undefined): boolean {
  return byte === space || (byte !== undefined && byte >= tab && byte <= carriageReturn);
}

/** The value of a hex digit, or -1. */
function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** What `\<byte>` stands for inside double quotes. */
function unescaped(byte: number): number {
  switch (byte) {
    case 0x6e: // n
      return newline;
    case 0x72: // r
      return carriageReturn;
    case 0x74: // t
      return tab;
    case 0x62: // b
      return 0x08;
    case 0x61: // a
      return 0x07;
    default:
      return byte;
  }
}

/**
 * Splits `bytes[start, end)` into arguments as Redis's sdssplitargs does: spaces separate them;
 * "double quotes" take \n \r \t \b \a \xHH and \<any byte>; 'single quotes' take \' only; a
 * closing quote must be followed by a space or the end. Writes the ranges into `request` and
 * returns the buffer they point into, or null for unbalanced quotes. Every line is copied,
 * since escapes change the bytes: inline commands are typed by people, not pipelined by
 * clients, so plain code wins over a zero-copy path here. A NUL byte is an ordinary byte (in
 * Redis it ends the line, an accident of C strings).
 */
function splitInlineArgs(
  bytes: Buffer,
  start: number,
  end: number,
  request: RespRequest,
): Buffer | null {
  const out = Buffer.allocUnsafe(end - start);
  let written = 0;
  let at = start;
  request.count = 0;
  for (;;) {
    while (at < end && isSpace(bytes[at])) at++;
    if (at === end) return out;
    const argStart = written;
    let quote = 0;
    for (;;) {
      if (at === end) {
        if (quote !== 0) return null;
        break;
      }
      const byte = bytes[at] as number;
      if (quote === doubleQuote) {
        if (byte === backslash && at + 3 < end && bytes[at + 1] === letterX) {
          const high = hexValue(bytes[at + 2]);
          const low = hexValue(bytes[at + 3]);
          if (high >= 0 && low >= 0) {
            out[written++] = high * 16 + low;
            at += 4;
            continue;
          }
        }
        if (byte === backslash && at + 1 < end) {
          out[written++] = unescaped(bytes[at + 1] as number);
          at += 2;
          continue;
        }
        if (byte === doubleQuote) {
          if (at + 1 < end && !isSpace(bytes[at + 1])) return null;
          at++;
          break;
        }
      } else if (quote === singleQuote) {
        if (byte === backslash && at + 1 < end && bytes[at + 1] === singleQuote) {
          out[written++] = singleQuote;
          at += 2;
          continue;
        }
        if (byte === singleQuote) {
          if (at + 1 < end && !isSpace(bytes[at + 1])) return null;
          at++;
          break;
        }
      } else if (byte === space || byte === tab || byte === newline || byte === carriageReturn) {
        // Unquoted, only these four end an argument (`\v` and `\f` do not), as in Redis.
        at++;
        break;
      } else if (byte === doubleQuote || byte === singleQuote) {
        quote = byte;
        at++;
        continue;
      }
      out[written++] = byte;
      at++;
    }
    request.starts[request.count] = argStart;
    request.ends[request.count] = written;
    request.count++;
  }
}
