/**
 * How often each key was used, for the LFU policies: a count-min sketch (four rows of 8-bit
 * counters, each key counted in one counter per row, its estimate the smallest of the four)
 * rather than a counter per key. It counts every access, a GET of a missing key included, so a
 * key that comes back after it was evicted or expired keeps its history (TinyLFU's idea; Redis
 * counts only keys that exist, starting each new one from scratch).
 *
 * Counters decay: after 10 accesses per counter of a row, every counter is halved, so a key
 * that was hot long ago does not stay in the cache for ever (Redis decays each key's counter
 * by one a minute instead). The width follows the shard's key count, four to eight counters
 * per key and row (16 to 32 bytes a key, only under the LFU policies), and starts at 64k (256
 * KiB a shard): collisions are what costs hit ratio. The real store and evictor on the bench's
 * Zipf trace, one client at a time (Redis's LFU, simulated on the same trace: 77.86 %): 1,024
 * counters to start and two a key 77.93 %; 64k and two 78.16 %; 64k and four 78.41 %. A sketch
 * that starts small keeps the counts its collisions inflated while the cache fills.
 *
 * Counts are estimates and only ever too high (collisions), never too low.
 */

const rows = 4;
const counterMax = 255;
const widthMin = 64 * 1024;
const countersPerKey = 4;
/** Halve every counter after this many additions per counter of a row. */
const additionsPerCounterBeforeDecay = 10;

export class FrequencySketch {
  private width = widthMin;
  private counters = new Uint8Array(rows * widthMin);
  private additions = 0;

  /** Grows the sketch so it has at least `countersPerKey` counters per row for each of `keys`
   * keys. Doubling keeps every estimate: a key's counter at i moves to i or i + width. */
  fitTo(keys: number): void {
    while (this.width < keys * countersPerKey) {
      const width = this.width;
      const grown = new Uint8Array(rows * width * 2);
      for (let row = 0; row < rows; row++) {
        const from = this.counters.subarray(row * width, (row + 1) * width);
        grown.set(from, row * width * 2);
        grown.set(from, row * width * 2 + width);
      }
      this.counters = grown;
      this.width = width * 2;
    }
  }

  /** Counts one use of `key` (conservative update: only the counters at the minimum grow,
   * which keeps the overestimate of rare keys small). */
  add(key: string): void {
    const hash = hashOf(key);
    const step = stepOf(hash);
    const mask = this.width - 1;
    const counters = this.counters;
    let at = hash;
    let min = counterMax;
    for (let row = 0; row < rows; row++) {
      const count = counters[row * this.width + (at & mask)] as number;
      if (count < min) min = count;
      at = (at + step) | 0;
    }
    if (min === counterMax) return;
    at = hash;
    for (let row = 0; row < rows; row++) {
      const i = row * this.width + (at & mask);
      if (counters[i] === min) counters[i] = min + 1;
      at = (at + step) | 0;
    }
    if (++this.additions >= this.width * additionsPerCounterBeforeDecay) this.decay();
  }

  /** How often `key` was used (an overestimate at worst), 0 to 255. */
  estimate(key: string): number {
    const hash = hashOf(key);
    const step = stepOf(hash);
    const mask = this.width - 1;
    let at = hash;
    let min = counterMax;
    for (let row = 0; row < rows; row++) {
      const count = this.counters[row * this.width + (at & mask)] as number;
      if (count < min) min = count;
      at = (at + step) | 0;
    }
    return min;
  }

  clear(): void {
    this.counters.fill(0);
    this.additions = 0;
  }

  /** Bytes the counters take. */
  get bytes(): number {
    return this.counters.length;
  }

  private decay(): void {
    this.additions = 0;
    const counters = this.counters;
    for (let i = 0; i < counters.length; i++) counters[i] = (counters[i] as number) >>> 1;
  }
}

/** FNV-1a of the key's bytes (keys are byte strings: one character a byte), then mixed so
 * that the low bits, which pick a counter, depend on every byte. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash;
}

/** The distance between a key's counters in successive rows (double hashing), from other
 * bits of the hash, so keys that share a counter in one row seldom share one in the next. */
function stepOf(hash: number): number {
  return Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) | 1;
}
