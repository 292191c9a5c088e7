/**
 * Sorts an error reply into one of a few kinds, for `haus_errors_total{kind}`: a label with a
 * handful of values, whatever the clients send (the message texts carry keys and limits, so
 * they can never be labels themselves). Read only for error replies, which are rare on a
 * healthy server; the common reply costs reply-meter.ts one or two byte compares.
 *
 * The line protocol's texts come from src/protocol/messages.ts and the RESP ones are Redis's
 * (src/net/resp-session.ts, src/coordinator/): test/unit/metrics-error-kinds.test.ts sorts
 * every message there, so a new one lands in "other" only knowingly.
 */

export const errorKinds = [
  /** Bytes that are not a request: a line past --max-line-bytes, a RESP framing error,
   * text that is not UTF-8. */
  'protocol',
  /** A request the server understood but refuses as given: an unknown command, a wrong
   * number of arguments, a bad option or number, a command out of place (EXEC without MULTI). */
  'usage',
  /** A missing or wrong password. */
  'auth',
  /** A write refused at --max-memory. */
  'oom',
  /** A transaction or WATCH past --max-tx-writes or --max-tx-bytes. */
  'limit',
  /** A missing key where the protocol calls it an error: the line protocol's GET or DEL
   * ("Key not found!"), RESP's RENAME. */
  'not_found',
  /** START SERIALIZABLE's COMMIT lost to a concurrent write. */
  'conflict',
  /** A transaction discarded for an earlier error (EXECABORT, a doomed COMMIT). */
  'aborted',
  /** A shard failed under the command (restarted empty). */
  'shard_failed',
  'other',
] as const;

export type ErrorKind = (typeof errorKinds)[number];

const kindIndex = new Map<ErrorKind, number>(errorKinds.map((kind, index) => [kind, index]));

function indexOf(kind: ErrorKind): number {
  return kindIndex.get(kind) as number;
}

/** `{"status": "Error", "mesg": "`: where a line protocol error's text starts. */
export const lineMessageOffset = 29;
/** Bytes of a message read to sort it: every prefix below is shorter. */
const prefixBytesMax = 96;
const latin1 = new TextDecoder('latin1');

/** Line protocol texts by how they start (src/protocol/messages.ts), first match wins. */
const linePrefixes: ReadonlyArray<readonly [string, ErrorKind]> = [
  ['Key not found!', 'not_found'],
  ['unknown command', 'usage'],
  ['line longer than', 'protocol'],
  ['command is not valid UTF-8', 'protocol'],
  ['value is not valid UTF-8', 'protocol'],
  ['authentication required', 'auth'],
  ['invalid password', 'auth'],
  ['AUTH given, but', 'auth'],
  ['out of memory', 'oom'],
  ['COMMIT refused', 'oom'],
  ['COMMIT failed, nothing was applied: key', 'conflict'],
  ['COMMIT failed, nothing was applied: the transaction was discarded', 'aborted'],
  ['COMMIT failed, nothing was applied: shard', 'shard_failed'],
  ['shard ', 'shard_failed'],
  ['transaction has reached', 'limit'],
  ['transaction would pass', 'limit'],
  ['a START SERIALIZABLE transaction may touch', 'limit'],
  ['a transaction is already open', 'usage'],
  ['DEBUG ', 'usage'],
  ['no such shard', 'usage'],
  ['snapshots are off', 'usage'],
];

/** Line protocol usage texts that name their command first: `GET takes exactly one key`,
 * `COMMIT without START: ...`. */
const lineUsageWords = [' takes ', ' without START'];

/** RESP error codes (the first word) that say the kind alone. */
const respCodes: ReadonlyMap<string, ErrorKind> = new Map<string, ErrorKind>([
  ['NOAUTH', 'auth'],
  ['WRONGPASS', 'auth'],
  ['OOM', 'oom'],
  ['EXECABORT', 'aborted'],
  ['WRONGTYPE', 'usage'],
  ['NOPROTO', 'usage'],
]);

/** `ERR ...` texts by how they go on after `ERR `, first match wins. */
const respErrPrefixes: ReadonlyArray<readonly [string, ErrorKind]> = [
  ['Protocol error', 'protocol'],
  ['shard ', 'shard_failed'],
  ['transaction has reached', 'limit'],
  ['transaction would pass', 'limit'],
  ['a client may watch at most', 'limit'],
  ['wrong number of arguments', 'usage'],
  ['unknown command', 'usage'],
  ['unknown subcommand', 'usage'],
  ['syntax error', 'usage'],
  ['Syntax error', 'usage'],
  ['value is not', 'usage'],
  ['no such key', 'not_found'],
  ['string exceeds maximum allowed size', 'limit'],
  ['increment or decrement would overflow', 'usage'],
  ['decrement would overflow', 'usage'],
  ['increment would produce', 'usage'],
  ['offset is out of range', 'usage'],
  ['invalid cursor', 'usage'],
  ['invalid expire time', 'usage'],
  ['Unsupported option', 'usage'],
  ['NX and XX, GT or LT', 'usage'],
  ['GT and LT options', 'usage'],
  ['snapshots are off', 'usage'],
  ['MULTI calls can not be nested', 'usage'],
  ['EXEC without MULTI', 'usage'],
  ['DISCARD without MULTI', 'usage'],
  ['WATCH inside MULTI', 'usage'],
  ['Command not allowed inside a transaction', 'usage'],
  ['DB index is out of range', 'usage'],
  ['Protocol version', 'usage'],
  ['Client names cannot', 'usage'],
  ['Unrecognized option', 'usage'],
  ['CONFIG SET is not supported', 'usage'],
  ['AUTH <password> called without', 'auth'],
  ['max number of clients', 'limit'],
];

/** The kind (its index in errorKinds) of the line protocol error reply at `bytes[start]`. */
export function lineErrorKind(bytes: Uint8Array, start: number): number {
  const from = start + lineMessageOffset;
  const text = latin1.decode(bytes.subarray(from, Math.min(bytes.length, from + prefixBytesMax)));
  for (const [prefix, kind] of linePrefixes) if (text.startsWith(prefix)) return indexOf(kind);
  const firstSpace = text.indexOf(' ');
  for (const word of lineUsageWords) {
    if (firstSpace !== -1 && text.startsWith(word, firstSpace)) return indexOf('usage');
  }
  return indexOf('other');
}

/** The kind (its index in errorKinds) of the RESP error reply (`-CODE text`) at
 * `bytes[start]`. */
export function respErrorKind(bytes: Uint8Array, start: number): number {
  const text = latin1.decode(
    bytes.subarray(start + 1, Math.min(bytes.length, start + 1 + prefixBytesMax)),
  );
  const codeEnd = text.search(/[ \r]/);
  const code = codeEnd === -1 ? text : text.slice(0, codeEnd);
  const byCode = respCodes.get(code);
  if (byCode !== undefined) return indexOf(byCode);
  if (code !== 'ERR') return indexOf('other');
  const rest = text.slice(codeEnd + 1);
  for (const [prefix, kind] of respErrPrefixes) if (rest.startsWith(prefix)) return indexOf(kind);
  return indexOf('other');
}
