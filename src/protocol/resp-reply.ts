/**
 * Redis protocol replies (RESP2, and RESP3 after `HELLO 3`), as bytes. Text is written as
 * latin1: keys and values are byte strings, one character a byte (workers/shard-store.ts).
 *
 * Used by the main thread for the replies it makes itself, and by the shards' reply writer
 * (workers/resp-out.ts), which writes the same shapes into a batch's reply slot.
 */

export const respOkBytes: Buffer = Buffer.from('+OK\r\n');
export const respPongBytes: Buffer = Buffer.from('+PONG\r\n');
export const respQueuedBytes: Buffer = Buffer.from('+QUEUED\r\n');
export const respZeroBytes: Buffer = Buffer.from(':0\r\n');
export const respOneBytes: Buffer = Buffer.from(':1\r\n');
export const respEmptyArrayBytes: Buffer = Buffer.from('*0\r\n');
const resp2NullBytes = Buffer.from('$-1\r\n');
const resp2NullArrayBytes = Buffer.from('*-1\r\n');
const resp3NullBytes = Buffer.from('_\r\n');

/** Nil: a missing key's GET. */
export function respNullBytes(resp3: boolean): Buffer {
  return resp3 ? resp3NullBytes : resp2NullBytes;
}

/** The null array: EXEC of a transaction a WATCH aborted. */
export function respNullArrayBytes(resp3: boolean): Buffer {
  return resp3 ? resp3NullBytes : resp2NullArrayBytes;
}

/** An error line; `message` starts with its code (`ERR ...`, `WRONGTYPE ...`). CR and LF
 * would end the line early, so they become spaces, as Redis does. */
export function respErrorText(message: string): string {
  return `-${message.replace(/[\r\n]+/g, ' ')}\r\n`;
}

export function respErrorBytes(message: string): Buffer {
  return Buffer.from(respErrorText(message), 'latin1');
}

export function respIntegerText(value: number | bigint): string {
  return `:${value}\r\n`;
}

export function respBulkText(value: string): string {
  return `$${value.length}\r\n${value}\r\n`;
}

export function respBulkBytes(value: string): Buffer {
  return Buffer.from(respBulkText(value), 'latin1');
}

export function respSimpleText(value: string): string {
  return `+${value}\r\n`;
}

export function respArrayHeaderText(count: number): string {
  return `*${count}\r\n`;
}

/** A map of `count` pairs: `%` in RESP3, a flat array of twice as many in RESP2. */
export function respMapHeaderText(count: number, resp3: boolean): string {
  return resp3 ? `%${count}\r\n` : `*${count * 2}\r\n`;
}

/** An array of bulk strings (nil for null entries). */
export function respBulkArrayText(values: ReadonlyArray<string | null>, resp3: boolean): string {
  let text = respArrayHeaderText(values.length);
  for (const value of values) {
    text += value === null ? (resp3 ? '_\r\n' : '$-1\r\n') : respBulkText(value);
  }
  return text;
}

/** Latin1 bytes of a reply built as text. */
export function respBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
