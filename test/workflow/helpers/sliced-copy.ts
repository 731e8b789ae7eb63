import assert from 'node:assert/strict';
import { STATE } from '../../../infra/constructs/migration-state-machine.js';
import type { UnitCheckpoint } from '../../../src/core/contracts.js';
import type { Invocation, InvokeHook } from '../../../src/rehearse/local-workflow.js';

/**
 * The most batches a copy slice copies in the tests that count slices (the copy event's
 * maxBatches). Their 2 ms time budget alone does not bound a slice: it stops only once its first
 * checkpoint is saved, and while a slow save is in flight (a loaded machine) it copies on, so the
 * number of slices a unit takes would depend on the machine's speed.
 */
export const MAX_BATCHES_PER_SLICE = 4;

/** Gives every copy invocation the batch cap, then runs `hook` around it (or just runs it). */
export function capCopySlices(hook?: InvokeHook): InvokeHook {
  return (invocation, call) => {
    if (invocation.state === STATE.copy) invocation.payload.maxBatches = MAX_BATCHES_PER_SLICE;
    return hook ? hook(invocation, call) : call();
  };
}

/**
 * Asserts that the units were copied over many slices, each going on from the checkpoint the one
 * before saved. No slice copies more than MAX_BATCHES_PER_SLICE batches, so a unit whose final
 * checkpoint counts B batches took ceil(B / MAX_BATCHES_PER_SLICE) copy invocations at least
 * (retried and abandoned ones only add to them). The batches must need two slices per unit on
 * average; not each unit, as a byte range of an RDB file may hold only a few big keys.
 */
export function assertCopiedInSlices(invocations: readonly Invocation[], units: readonly UnitCheckpoint[]): void {
  let needed = 0;
  for (const { unitId, counters } of units) {
    const unitNeeded = Math.ceil(counters.batches / MAX_BATCHES_PER_SLICE);
    const copies = invocations.filter((i) => i.state === STATE.copy && i.payload.unitId === unitId).length;
    assert.ok(
      copies >= unitNeeded,
      `unit ${unitId}: ${counters.batches} batches in ${copies} copy invocations of ${MAX_BATCHES_PER_SLICE} batches at most`,
    );
    needed += unitNeeded;
  }
  assert.ok(needed >= 2 * units.length, `${units.length} unit(s) needed only ${needed} slices of ${MAX_BATCHES_PER_SLICE} batches`);
}
