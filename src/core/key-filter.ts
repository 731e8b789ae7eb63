import type { FilterConfig } from './config.js';

/** Decides per key (and per db) whether it is copied; mirrors redis-shake's `[filter]` rules. */
export interface KeyFilter {
  allowsDb(db: number): boolean;
  allowsKey(key: Buffer): boolean;
  /** True when every key passes, so the hot path can skip the per-key test. */
  readonly passesAll: boolean;
}

function startsWithAny(key: Buffer, prefixes: Buffer[]): boolean {
  return prefixes.some((p) => key.length >= p.length && key.compare(p, 0, p.length, 0, p.length) === 0);
}

function endsWithAny(key: Buffer, suffixes: Buffer[]): boolean {
  return suffixes.some((s) => key.length >= s.length && key.compare(s, 0, s.length, key.length - s.length) === 0);
}

/**
 * redis-shake's semantics: a key is blocked if any block rule matches; otherwise, when any allow
 * rule is configured, it must match at least one allow rule. Prefixes and suffixes compare bytes
 * (keys are binary); regexes see the key decoded as UTF-8, as Go's regexp does.
 */
export function createKeyFilter(config: FilterConfig): KeyFilter {
  const bytes = (list: string[]) => list.map((s) => Buffer.from(s, 'utf8'));
  const allowPrefix = bytes(config.allowKeyPrefix);
  const blockPrefix = bytes(config.blockKeyPrefix);
  const allowSuffix = bytes(config.allowKeySuffix);
  const blockSuffix = bytes(config.blockKeySuffix);
  const allowRegex = config.allowKeyRegex.map((r) => new RegExp(r));
  const blockRegex = config.blockKeyRegex.map((r) => new RegExp(r));
  const hasAllow = allowPrefix.length + allowSuffix.length + allowRegex.length > 0;
  const hasBlock = blockPrefix.length + blockSuffix.length + blockRegex.length > 0;

  return {
    passesAll: !hasAllow && !hasBlock,
    allowsDb(db) {
      if (config.blockDb.includes(db)) return false;
      return config.allowDb.length === 0 || config.allowDb.includes(db);
    },
    allowsKey(key) {
      const text = allowRegex.length + blockRegex.length > 0 ? key.toString('utf8') : '';
      if (startsWithAny(key, blockPrefix) || endsWithAny(key, blockSuffix) || blockRegex.some((r) => r.test(text))) {
        return false;
      }
      if (!hasAllow) return true;
      return startsWithAny(key, allowPrefix) || endsWithAny(key, allowSuffix) || allowRegex.some((r) => r.test(text));
    },
  };
}
