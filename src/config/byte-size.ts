/**
 * Parses human byte sizes for flags such as `--max-memory 512mb`.
 *
 * Units are binary (1kb = 1024 bytes), as in redis.conf, because operators size caches against
 * memory limits that are themselves binary (a container's `mem_limit: 1g` is 1 GiB).
 */

const unitBytes: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

const byteSizePattern = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/;

/** Returns the size in whole bytes, or null when the text is not a size. */
export function parseByteSize(text: string): number | null {
  const match = byteSizePattern.exec(text.trim().toLowerCase());
  if (match === null) return null;
  const multiplier = unitBytes[match[2] ?? ''];
  if (multiplier === undefined) return null;
  const bytes = Math.floor(Number(match[1]) * multiplier);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Formats bytes for messages and logs: the largest binary unit that keeps a whole number. */
export function formatByteSize(bytes: number): string {
  for (const [unit, size] of [
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}b`;
}
