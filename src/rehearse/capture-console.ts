import { format } from 'node:util';

/**
 * Collects what the handlers log (Powertools writes through the global console when POWERTOOLS_DEV
 * is set) instead of printing it: a test searches the lines (for a password, say), `rehearse`
 * shows them only when asked.
 */
export interface CapturedConsole {
  lines: string[];
  restore(): void;
}

export interface CaptureOptions {
  /** Keep the lines in `lines` (default true; a long rehearsal keeps none). */
  keep?: boolean;
  /** Also hand each line on as it comes. */
  echo?: (line: string) => void;
}

export function captureConsole(options: CaptureOptions = {}): CapturedConsole {
  const { keep = true, echo } = options;
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  const lines: string[] = [];
  for (const m of methods)
    console[m] = (...args: unknown[]) => {
      const line = format(...args);
      if (keep) lines.push(line);
      echo?.(line);
    };
  return {
    lines,
    restore: () => {
      for (const [i, m] of methods.entries()) console[m] = saved[i]!;
    },
  };
}
