/**
 * Redis's glob-style patterns (KEYS, SCAN MATCH, CONFIG GET): `*` any run, `?` one byte,
 * `[abc]`, `[^a]`, `[a-z]`, and `\x` for a literal x. Works on byte strings (one character a
 * byte). Written by hand: the rules are Redis's own (stringmatchlen), which no glob library
 * follows exactly.
 *
 * Iterative, not recursive: a pattern of 100,000 `*`s recursed once per star and overflowed a
 * shard's stack (the shard restarted empty). On a mismatch it goes back to the last `*` and
 * lets it take one more byte, which is all a later star could need (a classic result for
 * patterns without nested groups), so the work is at most pattern × text steps, and capped at
 * `stepsMax`: past it the key counts as not matching, so no pattern holds a thread long.
 */

/** Steps one match may take (tens of milliseconds): a pathological pattern against a long key
 * gives up and counts as no match rather than stall its shard. */
const stepsMax = 20_000_000;

/** True when `text` matches `pattern`. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  for (let steps = 0; t < text.length; steps++) {
    if (steps > stepsMax) return false;
    if (p < pattern.length && pattern[p] === '*') {
      while (pattern[p] === '*') p++;
      if (p === pattern.length) return true;
      starP = p;
      starT = t;
      continue;
    }
    const next = p < pattern.length ? matchOne(pattern, p, text.charCodeAt(t)) : -1;
    if (next !== -1) {
      p = next;
      t++;
      continue;
    }
    if (starP === -1) return false;
    // The last star takes one more byte; the pattern after it starts again from there.
    p = starP;
    t = ++starT;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** A pattern that is only `*` matches everything: callers skip the test. */
export function matchesEverything(pattern: string): boolean {
  return pattern === '*';
}

/** Where the pattern goes on after its element at `p` matched the byte `code`, or -1. */
function matchOne(pattern: string, p: number, code: number): number {
  const c = pattern[p] as string;
  if (c === '?') return p + 1;
  if (c === '[') {
    const end = classEnd(pattern, p);
    return classMatches(pattern, p + 1, end, code) ? end + 1 : -1;
  }
  let at = p;
  if (c === '\\' && p + 1 < pattern.length) at++;
  return pattern.charCodeAt(at) === code ? at + 1 : -1;
}

/** Index of the `]` closing the class opened at `open` (or the pattern's end, as Redis
 * takes an unclosed class to run to the end). */
function classEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '^') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return pattern.length;
}

function classMatches(pattern: string, from: number, end: number, code: number): boolean {
  let i = from;
  const negated = pattern[i] === '^';
  if (negated) i++;
  let matched = false;
  while (i < end) {
    if (pattern[i] === '\\' && i + 1 < end) {
      i++;
      if (pattern.charCodeAt(i) === code) matched = true;
      i++;
    } else if (i + 2 < end && pattern[i + 1] === '-') {
      let low = pattern.charCodeAt(i);
      let high = pattern.charCodeAt(i + 2);
      if (low > high) [low, high] = [high, low];
      if (code >= low && code <= high) matched = true;
      i += 3;
    } else {
      if (pattern.charCodeAt(i) === code) matched = true;
      i++;
    }
  }
  return negated ? !matched : matched;
}
