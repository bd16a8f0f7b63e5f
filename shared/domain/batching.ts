import type { ProjectCounters } from './counters';

/**
 * How many tasks a labeler gets. While the pool can give every labeler who may still ask a full batch, each batch
 * holds `policySize` (75 by default); near the end the rest is split evenly among them, so nobody hoards the last
 * images and nothing is left unassigned when labelers arrive together.
 *
 * `waitingLabelers` counts the labelers who may still ask for work and hold none: the requester and the project's
 * other labelers without a live batch. Those who already hold a batch have their share and take none of the rest.
 */
export function batchSizeFor(args: { policySize: number; waitingLabelers: number; claimable: number }): number {
  const { policySize, claimable } = args;
  const labelers = Math.max(1, args.waitingLabelers);
  if (claimable <= 0) return 0;
  if (claimable >= policySize * labelers) return policySize;
  return Math.max(1, Math.min(policySize, Math.ceil(claimable / labelers)));
}

/** The requester plus the project's labelers who hold no live batch (never fewer than one). */
export function waitingLabelers(args: { labelers: number; liveBatches: number; requesterIsCounted: boolean }): number {
  const everyone = args.labelers + (args.requesterIsCounted ? 0 : 1);
  return Math.max(1, everyone - args.liveBatches);
}

/**
 * Why a labeler got an empty batch: everything left is in other labelers' batches (it may come back when a lease
 * runs out or a batch is released, so ask again later), or nothing is left at all.
 */
export function emptyBatchReason(counters: ProjectCounters): string {
  return counters.byState.assigned > 0
    ? 'Every remaining image is in another labeler’s batch; ask again later.'
    : 'Nothing is left to label in this project.';
}
