/**
 * Redis's glob-style patterns (KEYS, SCAN MATCH): `*` any run, `?` one byte, `[abc]`, `[^a]`,
 * `[a-z]`, and `\x` for a literal x. Works on byte strings (one character a byte). Written by
 * hand: the rules are Redis's own (stringmatchlen), which no glob library follows exactly.
 */

/** True when `text` matches `pattern`. */
export function globMatch(pattern: string, text: string): boolean {
  return matchFrom(pattern, 0, text, 0) === matched;
}

const matched = 1;
const unmatched = 0;
/** No match, and the text ran out first: a `*` further out trying longer runs cannot match
 * either (Redis's skipLongerMatches), which keeps `*a*a*a*b` patterns from taking
 * exponential time on a shard. */
const textRanOut = 2;

/** A pattern that is only `*` matches everything: callers skip the test. */
export function matchesEverything(pattern: string): boolean {
  return pattern === '*';
}

function matchFrom(pattern: string, p: number, text: string, t: number): number {
  while (p < pattern.length) {
    const c = pattern[p] as string;
    if (c === '*') {
      while (pattern[p + 1] === '*') p++;
      if (p + 1 === pattern.length) return matched;
      for (let from = t; from <= text.length; from++) {
        const outcome = matchFrom(pattern, p + 1, text, from);
        if (outcome !== unmatched) return outcome;
      }
      return textRanOut;
    }
    if (t >= text.length) return textRanOut;
    if (c === '?') {
      p++;
      t++;
      continue;
    }
    if (c === '[') {
      const end = classEnd(pattern, p);
      if (!classMatches(pattern, p + 1, end, text.charCodeAt(t))) return unmatched;
      p = end + 1;
      t++;
      continue;
    }
    if (c === '\\' && p + 1 < pattern.length) p++;
    if (pattern[p] !== text[t]) return unmatched;
    p++;
    t++;
  }
  return t === text.length ? matched : unmatched;
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
