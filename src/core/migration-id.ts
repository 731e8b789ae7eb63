import { createHash } from 'node:crypto';
import type { EndpointConfig, MigrationConfig } from './config.js';

function endpointIdentity(endpoint: EndpointConfig) {
  return {
    addresses: [...endpoint.addresses].sort(),
    topology: endpoint.topology,
    masterName: endpoint.masterName ?? null,
    username: endpoint.username ?? null,
  };
}

/** The options a copy and a restore share that decide which keys land where, and how. */
export type WriteShapingOptions = Pick<MigrationConfig, 'target' | 'dbs' | 'dbMap' | 'scan' | 'filter' | 'onExistingKey'>;

/**
 * The identity of the write side: target, selection and conflict policy, without passwords. Its
 * key order is part of every id hashed from it (the JSON text is hashed), so keep it as it is.
 */
export function writeIdentity(config: WriteShapingOptions) {
  return {
    target: endpointIdentity(config.target),
    dbs: [...config.dbs].sort((a, b) => a - b),
    dbMap: Object.entries(config.dbMap).sort(),
    scan: { match: config.scan.match ?? null, type: config.scan.type ?? null },
    filter: config.filter,
    onExistingKey: config.onExistingKey,
  };
}

/** `<prefix>-` and the first 12 hex digits of the SHA-256 of `identity`'s JSON: a short, stable id. */
export function hashedId(prefix: string, identity: unknown): string {
  return `${prefix}-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12)}`;
}

/**
 * A stable id for "this copy": the same source, target and data-shaping options give the same id,
 * so running the same command again resumes. Passwords, rate limits and concurrency are left out:
 * changing them must not orphan a half-done migration.
 */
export function defaultMigrationId(config: MigrationConfig): string {
  return hashedId('m', { source: endpointIdentity(config.source), ...writeIdentity(config) });
}

/** Migration ids become file names, DynamoDB keys and execution names: keep them to a safe alphabet. */
export function isValidMigrationId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id);
}

/**
 * A reconcile pass's id: its own checkpoints, never those of the migration of the same config
 * (whose units are done). The conflict policy is left out (a pass always overwrites what differs);
 * whether it deletes is in.
 */
export function defaultReconcileId(config: MigrationConfig, deletes: boolean): string {
  const of = defaultMigrationId({ ...config, onExistingKey: 'replace' });
  return hashedId('r', { of, deletes });
}
