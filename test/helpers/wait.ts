export interface WaitOptions {
  /** What we are waiting for, used in the timeout error. */
  description: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it returns true. Anything else (false, or better a
 * string saying what is still missing) or a thrown error counts as "not
 * yet"; the last one is quoted in the timeout error so a stuck topology is
 * debuggable.
 */
export async function waitUntil(
  check: () => Promise<boolean | string>,
  { description, timeoutMs = 20_000, intervalMs = 100 }: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never checked';
  for (;;) {
    try {
      const result = await check();
      if (result === true) return;
      last = result === false ? 'check returned false' : result;
    } catch (err) {
      last = `error: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}: ${last}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Parses `key:value` lines of INFO / CLUSTER INFO output. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
