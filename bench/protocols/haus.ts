/**
 * The Haus protocol from the client side (SPEC.md sections 1-3): one command per line, one JSON
 * reply per line. Replies are classified by their exact byte layout (`{"status": "Ok"}` and
 * friends, the original server's `json.dumps` form) instead of by JSON.parse: a prefix compare
 * is native code, JSON.parse is an object per reply. A reply in any other layout is Malformed,
 * so a server that drifts from the spec shows up as errors in the bench, not as silent success.
 * The value range of a result is the raw JSON string body; bench values never need escaping.
 */
import type { ProtocolCodec } from './codec.js';
import { ReplyKind, type ReplyParser, type ReplySink } from './reply.js';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OK_LINE = Buffer.from('{"status": "Ok"}');
const RESULT_PREFIX = Buffer.from('{"status": "Ok", "result": "');
const RESULT_SUFFIX_BYTES = 2; // `"}`
const ERROR_PREFIX = Buffer.from('{"status": "Error"');

export class HausReplyParser implements ReplyParser {
  // Lines resynchronise at every newline, so a bad reply never breaks the stream.
  readonly broken = false;
  // Bytes of a reply line that has not ended yet, copied out of the caller's chunk (which is
  // reused) and kept as a list, so a long value arriving in many chunks is joined once.
  private pending: Buffer[] = [];

  constructor(private readonly sink: ReplySink) {}

  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    if (this.pending.length > 0) {
      if (newline === -1) {
        this.pending.push(Buffer.from(chunk));
        return;
      }
      this.pending.push(chunk.subarray(0, newline + 1));
      const line = Buffer.concat(this.pending);
      this.pending = [];
      this.emitLine(line, 0, line.length - 1);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    while (newline !== -1) {
      this.emitLine(chunk, start, newline);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
  }

  /** `buf[start, newline)` is one reply line without its `\n`. */
  private emitLine(buf: Buffer, start: number, newline: number): void {
    const end = newline > start && buf[newline - 1] === CARRIAGE_RETURN ? newline - 1 : newline;
    const length = end - start;
    if (length === OK_LINE.length && buf.compare(OK_LINE, 0, length, start, end) === 0) {
      this.sink(ReplyKind.Ok, buf, start, end);
    } else if (hasPrefix(buf, start, end, RESULT_PREFIX)) {
      const valueStart = start + RESULT_PREFIX.length;
      const valueEnd = end - RESULT_SUFFIX_BYTES;
      const closed = valueEnd >= valueStart && buf[valueEnd] === 0x22 && buf[end - 1] === 0x7d;
      this.sink(
        closed ? ReplyKind.Value : ReplyKind.Malformed,
        buf,
        closed ? valueStart : start,
        closed ? valueEnd : end,
      );
    } else if (hasPrefix(buf, start, end, ERROR_PREFIX)) {
      this.sink(ReplyKind.Error, buf, start, end);
    } else {
      this.sink(ReplyKind.Malformed, buf, start, end);
    }
  }
}

function hasPrefix(buf: Buffer, start: number, end: number, prefix: Buffer): boolean {
  return (
    end - start >= prefix.length &&
    buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0
  );
}

export const hausCodec: ProtocolCodec = {
  name: 'haus',
  get: (key) => `GET ${key}\n`,
  put: (key, value) => `PUT ${key} ${value}\n`,
  begin: () => 'START\n',
  commit: () => 'COMMIT\n',
  putInTxReply: ReplyKind.Ok,
  commitReply: ReplyKind.Ok,
  createParser: (sink) => new HausReplyParser(sink),
};
