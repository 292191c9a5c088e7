/**
 * Turns results into reply lines in the original Python server's layout: `json.dumps`
 * separators (`", "` and `": "`), key order status then result or mesg, one line each
 * (SPEC.md section 3). JSON.stringify cannot produce that layout, so the encoder is ours.
 *
 * Used by the shards (which format most replies, off the main thread) and by the main thread
 * (errors it finds itself, and reads served from a transaction's own writes).
 */

export const okReplyText = '{"status": "Ok"}\n';
const pongReplyText = '{"status": "Ok", "result": "PONG"}\n';
const resultPrefix = '{"status": "Ok", "result": ';
const errorPrefix = '{"status": "Error", "mesg": ';
const replySuffix = '}\n';

/** Bytes of a GET reply besides its value's characters: `{"status": "Ok", "result": ""}\n`. */
export const resultReplyFrameBytes = resultPrefix.length + 2 + replySuffix.length;

export const okReplyBytes: Buffer = Buffer.from(okReplyText);
/** What goes before and after a value that needs no escaping in a GET reply, for a writer that
 * puts the value between them rather than building the line as one string. */
export const plainResultPrefixBytes: Buffer = Buffer.from(`${resultPrefix}"`);
export const plainResultSuffixBytes: Buffer = Buffer.from(`"${replySuffix}`);
export const pongReplyBytes: Buffer = Buffer.from(pongReplyText);

/** Characters JSON must escape, plus U+2028/U+2029, which JSON allows raw but JavaScript
 * parsers before ES2019 did not; SPEC.md asks for them escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point.
const needsEscape = /["\\\u0000-\u001f\u2028\u2029]/;
const lineSeparators = /[\u2028\u2029]/g;

/** True when `text` has a character JSON (or SPEC.md) wants escaped. */
export function needsJsonEscape(text: string): boolean {
  return needsEscape.test(text);
}

/**
 * A JSON string literal for `text`. Fast path defended by bench/run.ts (GET replies at P=16):
 * most cached values need no escaping, and one regex test beats JSON.stringify's copy.
 */
export function jsonString(text: string): string {
  if (!needsEscape.test(text)) return `"${text}"`;
  const escaped = JSON.stringify(text);
  return escaped.includes('\u2028') || escaped.includes('\u2029')
    ? escaped.replace(lineSeparators, (c) => (c === '\u2028' ? '\\u2028' : '\\u2029'))
    : escaped;
}

export function resultReplyText(value: string): string {
  return resultPrefix + jsonString(value) + replySuffix;
}

/** A reply whose result is a JSON integer: `{"status": "Ok", "result": 42}` (TTL, PTTL). */
export function integerResultReplyBytes(value: number): Buffer {
  return Buffer.from(`${resultPrefix}${value}${replySuffix}`);
}

export function errorReplyText(message: string): string {
  return errorPrefix + jsonString(message) + replySuffix;
}

export function errorReplyBytes(message: string): Buffer {
  return Buffer.from(errorReplyText(message));
}
