/**
 * The vocabulary both reply parsers speak, so the client checks replies without knowing which
 * protocol produced them. A parser hands each complete reply to a ReplySink as a kind plus, for
 * a value, the byte range of that value inside a Buffer it owns only for the duration of the
 * call: a sink that keeps the bytes must copy them. Ranges instead of strings keep the hot path
 * free of allocations, which is what lets a Node client outrun the server it measures.
 */

export const ReplyKind = {
  /** Haus `{"status": "Ok"}`, RESP `+OK`. */
  Ok: 0,
  /** Haus `{"status": "Ok", "result": "..."}`, RESP bulk string: the range is the value. */
  Value: 1,
  /** Haus `{"status": "Error", ...}`, RESP `-ERR ...`. */
  Error: 2,
  /** RESP `$-1` / `*-1` (a missing key). Haus reports a missing key as Error. */
  Nil: 3,
  /** RESP `+QUEUED`, the answer to a command inside MULTI. */
  Queued: 4,
  /**
   * RESP array whose elements are all `+OK` (EXEC of a transaction of SETs that ran); the range
   * is its element count in decimal digits, so the client can check it against the SETs sent.
   */
  ArrayOk: 5,
  /** RESP array with at least one error element; the range is its last element. */
  ArrayWithError: 6,
  /** RESP integer or any other simple string. */
  Other: 7,
  /** Bytes that are not a reply of the protocol at all; the range is the offending line. */
  Malformed: 8,
  /** RESP array with no error element but not all `+OK`; the range is its last element. */
  ArrayOther: 9,
} as const;

export type ReplyKind = (typeof ReplyKind)[keyof typeof ReplyKind];

/** Called once per reply, in order. `buf[start, end)` is the value (Value) or line (others). */
export type ReplySink = (kind: ReplyKind, buf: Buffer, start: number, end: number) => void;

export interface ReplyParser {
  /**
   * Feeds the next bytes from the socket; calls the sink for every reply they complete. The
   * chunk is only valid during the call (the socket reuses its read buffer): a parser copies
   * whatever it keeps.
   */
  push(chunk: Buffer): void;
  /** True once the stream cannot be framed any more; the connection must then be closed. */
  readonly broken: boolean;
}

/** Names for error messages and test output. */
export function replyKindName(kind: ReplyKind): string {
  for (const [name, value] of Object.entries(ReplyKind)) {
    if (value === kind) return name;
  }
  return `kind ${kind}`;
}
