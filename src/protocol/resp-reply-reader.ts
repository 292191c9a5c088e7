/**
 * Reads the few RESP replies the coordinator composes others from: a shard's integer (DEL's
 * count), bulk string (a value moving in a RENAME across shards) or array (KEYS, one per
 * shard). Only shards' own well-formed replies come here, never a client's bytes.
 */

const cr = 0x0d;

/** The decimal number from `at` to the next CR, and where the line after it starts. */
export function numberAt(reply: Uint8Array, at: number): { value: number; next: number } {
  let i = at;
  let negative = false;
  if (reply[i] === 0x2d) {
    negative = true;
    i++;
  }
  let value = 0;
  while (reply[i] !== cr) value = value * 10 + ((reply[i++] as number) - 0x30);
  return { value: negative ? -value : value, next: i + 2 };
}

/** `:n` -> n; an error or anything else -> null. */
export function integerOf(reply: Uint8Array): number | null {
  if (reply[0] !== 0x3a) return null;
  return numberAt(reply, 1).value;
}

export function isError(reply: Uint8Array): boolean {
  return reply[0] === 0x2d;
}

/** A nil (`$-1` or `_`). */
export function isNil(reply: Uint8Array): boolean {
  return reply[0] === 0x5f || (reply[0] === 0x24 && reply[1] === 0x2d);
}

/** The elements of an array reply whose elements are bulk strings or integers, each as its
 * own reply bytes (views). */
export function arrayElements(reply: Buffer): Buffer[] {
  const { value: count, next } = numberAt(reply, 1);
  const elements: Buffer[] = [];
  let at = next;
  for (let i = 0; i < count; i++) {
    const start = at;
    if (reply[at] === 0x24) {
      const header = numberAt(reply, at + 1);
      at = header.value < 0 ? header.next : header.next + header.value + 2;
    } else if (reply[at] === 0x2a) {
      const nested = arrayElements(reply.subarray(at));
      at += arrayHeaderBytes(reply, at) + nested.reduce((sum, element) => sum + element.length, 0);
    } else {
      at = numberAt(reply, at + 1).next;
    }
    elements.push(reply.subarray(start, at));
  }
  return elements;
}

function arrayHeaderBytes(reply: Buffer, at: number): number {
  return numberAt(reply, at + 1).next - at;
}

/** The bytes of a bulk-string reply (`$n\r\n...\r\n`), without its framing. */
export function bulkBytesOf(reply: Buffer): Buffer {
  const { value: length, next } = numberAt(reply, 1);
  return reply.subarray(next, next + length);
}
