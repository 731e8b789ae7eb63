import { format } from 'node:util';

/**
 * Collects what the handlers log (Powertools writes through the global console when POWERTOOLS_DEV
 * is set) instead of printing it, so a test can search the logs, e.g. for a password.
 */
export interface CapturedConsole {
  lines: string[];
  restore(): void;
}

export function captureConsole(): CapturedConsole {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  const lines: string[] = [];
  for (const m of methods) console[m] = (...args: unknown[]) => void lines.push(format(...args));
  return {
    lines,
    restore: () => {
      for (const [i, m] of methods.entries()) console[m] = saved[i]!;
    },
  };
}
