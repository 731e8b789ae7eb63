import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { toTaskError } from '../../src/cloud/cloud-errors.js';
import type { TaskLog } from './task-deps.js';

/** Powertools' logger as the tasks' TaskLog. */
export function taskLog(logger: Logger): TaskLog {
  return {
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
  };
}

/**
 * Runs one task with the invocation's context on every log line, and throws errors under the name
 * the state machine matches on (see toTaskError). The result is logged: tasks return ids and
 * counters only.
 */
export async function runTask<T>(logger: Logger, context: Context, task: string, fn: () => Promise<T>): Promise<T> {
  logger.addContext(context);
  try {
    const result = await fn();
    logger.info(`${task} finished`, { result: abridged(result) as Record<string, unknown> });
    return result;
  } catch (error) {
    const thrown = toTaskError(error);
    logger.error(`${task} failed`, thrown as Error);
    throw thrown;
  }
}

/** The result for the log: long lists (a big cluster's unit ids) cut to their first entries. */
function abridged(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 20 ? [...value.slice(0, 20), `… ${value.length - 20} more`] : value;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abridged(v)]));
  return value;
}
