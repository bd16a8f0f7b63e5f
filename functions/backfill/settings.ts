import type { BackfillServiceOptions } from '../../shared/services/backfill';

function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`App setting ${name} must be an integer from ${min} to ${max}, got "${raw}".`);
  }
  return n;
}

/**
 * App settings for backfill runs:
 *   BACKFILL_PAGE_SIZE        blobs per listing page (1–5000, default 1000: Azure's own page size is up to 5,000)
 *   BACKFILL_CHECK_PAGE_SIZE  tasks per reconciliation page (1–5000, default 500)
 *   BACKFILL_CHECK_CONCURRENCY existence checks in flight (1–256, default 32)
 */
export function backfillSettings(env: NodeJS.ProcessEnv = process.env): BackfillServiceOptions {
  return {
    listPageSize: intSetting(env, 'BACKFILL_PAGE_SIZE', 1000, 1, 5000),
    checkPageSize: intSetting(env, 'BACKFILL_CHECK_PAGE_SIZE', 500, 1, 5000),
    checkConcurrency: intSetting(env, 'BACKFILL_CHECK_CONCURRENCY', 32, 1, 256),
  };
}
