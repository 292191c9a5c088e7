/**
 * The key trace of the eviction bench: Zipf(s) over `keys` keys, the same for every server and
 * policy (a seeded generator), so hit ratios compare eviction choices and nothing else. Rank r
 * (1-based) is drawn with probability proportional to 1/r^s, by binary search in the cumulative
 * weights; ranks are then shuffled onto key numbers, so the hottest keys are not key 0, 1, 2...
 * and do not share a shard by their names.
 */

/** A small, fast, seeded generator (mulberry32): the same trace in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ZipfTraceOptions {
  keys: number;
  requests: number;
  /** s: 0.99 is the usual "a few keys are very hot" cache workload. */
  exponent: number;
  seed: number;
}

/** Key numbers (0 .. keys-1) in request order. */
export function zipfTrace(options: ZipfTraceOptions): Int32Array {
  const { keys, requests, exponent, seed } = options;
  const random = seededRandom(seed);
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let rank = 0; rank < keys; rank++) {
    total += 1 / (rank + 1) ** exponent;
    cumulative[rank] = total;
  }
  const keyOfRank = new Int32Array(keys);
  for (let i = 0; i < keys; i++) keyOfRank[i] = i;
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = keyOfRank[i] as number;
    keyOfRank[i] = keyOfRank[j] as number;
    keyOfRank[j] = swap;
  }
  const trace = new Int32Array(requests);
  for (let i = 0; i < requests; i++) {
    const target = random() * total;
    let low = 0;
    let high = keys - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    trace[i] = keyOfRank[low] as number;
  }
  return trace;
}

/** The hit ratio a cache that always held the `capacity` hottest keys would reach: the
 * ceiling no policy can pass on this trace's distribution. */
export function idealHitRatio(keys: number, capacity: number, exponent: number): number {
  let hot = 0;
  let total = 0;
  for (let rank = 1; rank <= keys; rank++) {
    const weight = 1 / rank ** exponent;
    total += weight;
    if (rank <= capacity) hot += weight;
  }
  return hot / total;
}
