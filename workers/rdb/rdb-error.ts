/**
 * Why an RDB file cannot be loaded. A file on disk is outside input, so a bad one is an
 * operating error, not a bug: the reader throws this one class (never a RangeError from a
 * Buffer read), with a code for programs and a message for the person who has to act on it,
 * always naming the byte offset where the problem was found.
 */

export type RdbErrorCode =
  /** Does not start with "REDIS" and four digits. */
  | 'bad-magic'
  /** An RDB version this reader does not know. */
  | 'bad-version'
  /** The input ended before the EOF marker and checksum. */
  | 'truncated'
  /** The CRC64 in the file differs from the one of its bytes. */
  | 'bad-checksum'
  /** A key whose value is not a string (list, set, hash...), which Haus cannot hold. */
  | 'unsupported-type'
  /** Module data or functions, which Haus cannot hold either. */
  | 'unsupported-content'
  /** A key in a database other than 0. */
  | 'other-database'
  /** A length beyond the configured bound: corruption, or a value Haus would refuse anyway. */
  | 'too-long'
  /** Bytes that cannot be an RDB file: an unknown type, a bad encoding, bad LZF data. */
  | 'corrupt'
  /** Bytes after the checksum. */
  | 'trailing-bytes';

export class RdbError extends Error {
  override readonly name = 'RdbError';

  constructor(
    readonly code: RdbErrorCode,
    /** Offset in the file of the byte where the problem was found. */
    readonly offsetBytes: number,
    detail: string,
  ) {
    super(`RDB ${code} at byte ${offsetBytes}: ${detail}`);
  }
}

/** A key as a person can read it in a message: quoted, with unprintable bytes escaped, and
 * cut short when long, so a binary or huge key cannot wreck a log line. */
export function describeKey(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 64)}...` : key;
  return JSON.stringify(shown).replace(/[\u007f-\u00ff]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
