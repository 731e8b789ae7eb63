import type { VerifyProgress as StoredProgress } from '../../src/checkpoint/dynamo-verify.js';
import { VERIFY_EXAMPLES, VERIFY_TTL_TOLERANCE_MS } from '../../src/cloud/verify-outcome.js';
import type { MigrationConfig } from '../../src/core/config.js';
import type { TargetUnitDescriptor, UnitDescriptor } from '../../src/core/contracts.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { emptyReport, type VerifyReport } from '../../src/core/verify-report.js';
import type { TargetLayout } from '../../src/redis/target-access.js';
import { nodeClients } from '../../src/verify/connections.js';
import { type VerifyProgress, verifyScan } from '../../src/verify/verify-db.js';
import { openExtraCheck, verifyExtraScan } from '../../src/verify/verify-extra.js';

/** One verify slice's work on one unit, between the slice's progress load and its saves. */
export interface UnitWork {
  /** The stored progress to go on from: as stored, or started over when its cursor belongs to another node process. */
  continueFrom(progress: StoredProgress): StoredProgress;
  run(options: {
    cursor: string;
    report: VerifyReport;
    shouldStop: () => boolean;
    onBatch: (progress: VerifyProgress) => Promise<void>;
  }): Promise<VerifyProgress>;
  close(): Promise<void>;
}

export type UnitToVerify = { unit: UnitDescriptor; targetKind: () => Promise<TargetLayout['kind']> } | { targetUnit: TargetUnitDescriptor };

/**
 * Opens a unit's verification: a copy unit compares its source keys with the target (verifyScan);
 * a target unit walks its target node for keys the source lacks (verifyExtraScan), its cursor tied
 * to that node's process, so after a failover the walk starts over there with a fresh report.
 */
export async function openUnitWork(config: MigrationConfig, which: UnitToVerify): Promise<UnitWork> {
  const level = config.verify === 'full' ? 'full' : 'quick';
  const filter = createKeyFilter(config.filter);
  if ('targetUnit' in which) {
    const clients = await openExtraCheck(config, which.targetUnit);
    const identity = clients.target.node.identity;
    return {
      continueFrom: (progress) =>
        progress.scanNode === undefined || progress.scanNode === identity || progress.cursor === '0'
          ? { ...progress, scanNode: identity }
          : { ...progress, cursor: '0', report: emptyReport(level), scanNode: identity },
      run: (options) =>
        verifyExtraScan(clients.target, clients.source, {
          ...options,
          level,
          ttlToleranceMs: VERIFY_TTL_TOLERANCE_MS,
          filter,
          maxExamples: VERIFY_EXAMPLES,
        }),
      close: () => clients.close(),
    };
  }
  const clients = await nodeClients(config, await which.targetKind())(which.unit);
  return {
    continueFrom: (progress) => progress,
    run: (options) =>
      verifyScan(clients.source, clients.target, {
        ...options,
        readers: clients.readers,
        level,
        ttlToleranceMs: VERIFY_TTL_TOLERANCE_MS,
        bigKeyBytes: config.bigKeyThreshold || undefined,
        maxExamples: VERIFY_EXAMPLES,
        count: Math.min(config.scan.count, 1000),
        match: config.scan.match,
        type: config.scan.type,
        filter,
      }),
    close: () => clients.close(),
  };
}
