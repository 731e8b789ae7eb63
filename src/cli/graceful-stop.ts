/** What a run quitting at once writes when its checkpoints keep the work done so far (migrate, reconcile, restore). */
export const QUIT_CHECKPOINT_STANDS = '\nStopped without waiting; the last checkpoint stands.\n';

export interface GracefulStopOptions {
  /** Shows the first signal's notice; stop(), if given, clears the display before a quit at once. The run's progress reporter. */
  display: { log(line: string): void; stop?(): void };
  /** Written to stderr when the second signal quits at once (exit 130). */
  quitNotice?: string;
  /** Asked first on every signal; true when it took the signal for itself (then nothing else happens). */
  claim?: () => boolean;
  /** The signals listened to. @default ['SIGINT', 'SIGTERM'] */
  signals?: readonly NodeJS.Signals[];
}

export interface GracefulStop {
  /** True once a signal asked the run to stop after its current batch: the run's `shouldStop`. */
  requested: () => boolean;
  /** Removes the listeners: call it in the command's `finally`. */
  dispose: () => void;
}

/**
 * Ctrl-C for a command that works in batches: the first signal asks the run to stop after the
 * current batch (it checkpoints and reports), the second quits at once with exit 130, for a user
 * who will not wait for a slow batch to end.
 */
export function gracefulStop(options: GracefulStopOptions): GracefulStop {
  const { display, quitNotice, claim, signals = ['SIGINT', 'SIGTERM'] } = options;
  let requested = false;
  const onSignal = () => {
    if (claim?.()) return;
    if (requested) {
      display.stop?.();
      if (quitNotice) process.stderr.write(quitNotice);
      process.exit(130);
    }
    requested = true;
    display.log('Stopping after the current batch (press Ctrl-C again to quit at once)…');
  };
  for (const signal of signals) process.on(signal, onSignal);
  return {
    requested: () => requested,
    dispose: () => {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
