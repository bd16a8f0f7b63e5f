import type { ProjectCounters } from './counters';

/**
 * How many tasks a labeler gets. With two or more active labelers each batch holds `policySize` (75 by default);
 * near the end of the queue the remaining work is split evenly so nobody hoards the last images.
 */
export function batchSizeFor(args: { policySize: number; activeLabelers: number; claimable: number }): number {
  const { policySize, claimable } = args;
  const labelers = Math.max(1, args.activeLabelers);
  if (claimable <= 0) return 0;
  if (claimable >= policySize * labelers) return policySize;
  return Math.max(1, Math.min(policySize, Math.ceil(claimable / labelers)));
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
