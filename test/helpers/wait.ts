export interface WaitOptions {
  /** What we are waiting for, used in the timeout error. */
  description: string;
  /**
   * A safety net for a wait that will never end, not a clock the test runs against: the machine
   * is shared and may be slow, so the default is generous (WAIT_DEADLINE_MS).
   */
  timeoutMs?: number;
  intervalMs?: number;
}

/** How long a harness wait may take before it is given up as stuck. */
export const WAIT_DEADLINE_MS = 120_000;

/**
 * Polls `check` until it returns true. Anything else (false, or better a
 * string saying what is still missing) or a thrown error counts as "not
 * yet"; the last one is quoted in the timeout error so a stuck topology is
 * debuggable.
 */
export async function waitUntil(
  check: () => Promise<boolean | string>,
  { description, timeoutMs = WAIT_DEADLINE_MS, intervalMs = 100 }: WaitOptions,
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

/**
 * Waits for `event` (a promise that settles when something announces itself, e.g. a pub/sub
 * message); the deadline only turns a wait that will never end into an error naming it.
 */
export async function waitForEvent<T>(event: Promise<T>, description: string, timeoutMs = WAIT_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no sign after ${timeoutMs} ms of ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([event, deadline]);
  } finally {
    clearTimeout(timer);
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
