/**
 * Finds where a key sits in a TOML text, so every config problem can name its line. Handles plain
 * `[section]` headers and `key = value` lines, which is all redis-shake configs use.
 */
export function locateKey(text: string, section: string | undefined, key?: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let current: string | undefined;
  let sectionLine: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const header = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (header) {
      current = header[1];
      if (current === section) sectionLine = i + 1;
      continue;
    }
    if (current !== section || key === undefined) continue;
    const assignment = /^"?([A-Za-z0-9_-]+)"?\s*=/.exec(line);
    if (assignment?.[1] === key) return i + 1;
  }
  return key === undefined ? sectionLine : sectionLine;
}

/** Edit distance, for "did you mean" hints on typo'd keys. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = distance(word, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
