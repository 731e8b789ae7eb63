const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const CARET = 0x5e; // ^
const DASH = 0x2d; // -
const BACKSLASH = 0x5c; // \

/**
 * Redis' glob (SCAN MATCH, KEYS) over bytes: `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes.
 * The follower needs it to apply `match` to keys it learns of from events, exactly as SCAN did
 * for the keys it scanned; Buffers, so binary keys match byte for byte.
 */
export function globMatch(pattern: Buffer, key: Buffer): boolean {
  let p = 0;
  let k = 0;
  // Where to resume after the last `*`: the pattern position after it, and the key position it has eaten up to.
  let starP = -1;
  let starK = 0;
  while (k < key.length) {
    if (p < pattern.length) {
      const c = pattern[p]!;
      if (c === STAR) {
        starP = ++p;
        starK = k;
        continue;
      }
      const step = matchOne(pattern, p, key[k]!);
      if (step > 0) {
        p += step;
        k++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    k = ++starK;
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}

/** Length of the pattern element at `p` when it matches `byte`, 0 when it does not. */
function matchOne(pattern: Buffer, p: number, byte: number): number {
  const c = pattern[p]!;
  if (c === QUESTION) return 1;
  if (c === OPEN) return matchClass(pattern, p, byte);
  if (c === BACKSLASH && p + 1 < pattern.length) return pattern[p + 1] === byte ? 2 : 0;
  return c === byte ? 1 : 0;
}

/** A `[...]` class, as Redis reads it: an unclosed class runs to the end of the pattern. */
function matchClass(pattern: Buffer, start: number, byte: number): number {
  let p = start + 1;
  const negate = pattern[p] === CARET;
  if (negate) p++;
  let hit = false;
  while (p < pattern.length && pattern[p] !== CLOSE) {
    if (pattern[p] === BACKSLASH && p + 1 < pattern.length) {
      if (pattern[p + 1] === byte) hit = true;
      p += 2;
    } else if (p + 2 < pattern.length && pattern[p + 1] === DASH && pattern[p + 2] !== CLOSE) {
      const [lo, hi] = ordered(pattern[p]!, pattern[p + 2]!);
      if (byte >= lo && byte <= hi) hit = true;
      p += 3;
    } else {
      if (pattern[p] === byte) hit = true;
      p++;
    }
  }
  const end = p < pattern.length ? p + 1 : p;
  return hit !== negate ? end - start : 0;
}

function ordered(a: number, b: number): [number, number] {
  return a <= b ? [a, b] : [b, a];
}
