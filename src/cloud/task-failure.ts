import { RETRYABLE_TASK_ERROR } from './deploy-names.js';

/**
 * Turns what a Catch hands over ({Error, Cause}) into one readable line for the Fail state's cause
 * and the checkpoint's `error`. A Lambda error's Cause is JSON ({"errorType", "errorMessage",
 * "trace"}); other tasks (and the local interpreter) give a plain string.
 */

export interface CaughtError {
  Error?: string;
  Cause?: string;
}

export interface TaskFailure {
  /** The engine's error name where known (TargetKeyExistsError, SourceUnavailableError, …). */
  error: string;
  message: string;
}

const MAX_MESSAGE = 2000;

export function describeTaskError(caught: CaughtError | null | undefined): TaskFailure {
  let error = caught?.Error || 'Error';
  let message = caught?.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorType?: unknown; errorMessage?: unknown };
    if (parsed && typeof parsed === 'object' && typeof parsed.errorMessage === 'string') {
      message = parsed.errorMessage;
      if (typeof parsed.errorType === 'string' && parsed.errorType) error = parsed.errorType;
    }
  } catch {
    // A plain-text cause: keep it.
  }
  // RetryableMigrationError carries the original error first: "SourceUnavailableError: …".
  const wrapped = error === RETRYABLE_TASK_ERROR ? /^([A-Za-z]+Error): ([\s\S]*)$/.exec(message) : null;
  if (wrapped) {
    error = wrapped[1]!;
    message = `${wrapped[2]} (still failing after retries)`;
  }
  if (!message) message = error;
  return { error, message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message };
}
