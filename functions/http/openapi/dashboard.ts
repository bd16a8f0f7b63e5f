import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { Dashboard } from '../../../shared/domain/dashboard';
import { trainingRunStates } from '../../../shared/domain/labelingRecords';
import { jsonResponse, projectParams, route } from './components';
import { prelabelOutcomesSchema } from './views';

const count = z.number().int();
const dateTime = z.iso.datetime();

const runSummarySchema = z.object({
  runId: z.string(),
  state: z.enum(trainingRunStates),
  trigger: z.enum(['threshold', 'manual']),
  requestedAt: z.string(),
  finishedAt: z.string().optional(),
  labeledAtRequest: count,
  progress: z.number().optional(),
  metrics: z.object({ mAP50: z.number(), mAP50_95: z.number(), matchedMeanIoU: z.number() }).optional(),
  gate: z
    .object({
      passed: z.boolean(),
      threshold: z
        .number()
        .optional()
        .meta({ description: 'The calibrated score at or above which boxes become prelabels' }),
      precision: z.number().optional(),
      recall: z.number().optional(),
      meanIoU: z.number().optional(),
      reason: z.string().optional(),
      additionalLabelsNeeded: count.optional(),
    })
    .optional(),
  predictions: z.object({ parts: count, partsApplied: count, prelabeled: count, scored: count }).optional(),
  fieldOutcomes: prelabelOutcomesSchema,
  failure: z.string().optional(),
});

/** `satisfies` keeps this description in step with the type the dashboard is built as. */
export const dashboardSchema = z.object({
  projectId: z.string(),
  generatedAt: dateTime,
  totals: z.object({
    images: count.meta({ description: 'Live images (not removed, not rejected)' }),
    new: count,
    prelabeled: count.meta({ description: 'Prelabeled by a model, waiting for review' }),
    assigned: count,
    labeled: count,
    labeledManually: count,
    labeledFromPrelabels: count,
    labeledImported: count.meta({ description: 'Labels imported from a file (POST …/imports)' }),
    skipped: count,
    skippedByReason: z.record(z.string(), count),
    removed: count,
    rejected: count,
    progress: z.number().meta({ description: 'Labeled or skipped ÷ live images' }),
  }),
  classes: z.object({ total: count, byLabel: z.array(z.object({ label: z.string(), count })) }),
  queue: z.object({ manual: count, prelabeled: count, inProgress: count }),
  progressOverTime: z.object({
    hourly: z.array(z.object({ hour: dateTime, labeled: count })).meta({ description: 'The last 48 UTC hours' }),
    daily: z.array(z.object({ day: z.string(), labeled: count })).meta({ description: 'First labeled day to today' }),
  }),
  mlAssist: z.object({
    enabled: z.boolean(),
    phase: z.enum(['off', 'collectingLabels', 'trainingDue', 'training', 'prelabeling']),
    labeled: count,
    nextTrainingAt: count.optional(),
    labelsNeededBeforeNextRun: count
      .optional()
      .meta({ description: '"N more manual labels needed before the next run"' }),
    lastRunOutcome: z
      .object({ runId: z.string(), state: z.enum(trainingRunStates), reason: z.string().optional() })
      .optional(),
    runs: z.array(runSummarySchema),
    prelabelOutcomes: prelabelOutcomesSchema,
  }),
  labelers: z.array(
    z.object({
      labelerId: z.string(),
      role: z.enum(['labeler', 'admin']).optional(),
      labeled: count,
      skipped: count,
      boxes: count,
      boxesPerImage: z.number().optional(),
      secondsPerImage: z
        .object({ median: z.number(), p90: z.number(), mean: z.number(), timedSubmissions: count })
        .optional(),
      prelabels: prelabelOutcomesSchema,
      lastActiveDay: z.string().optional(),
      lastActiveHour: dateTime.optional(),
      throughput: z.object({ lastHour: count, lastDay: count }),
    }),
  ),
}) satisfies z.ZodType<Dashboard>;

export function registerDashboard(registry: OpenAPIRegistry): void {
  route(registry, {
    method: 'get',
    path: '/api/projects/{projectId}/dashboard',
    tags: ['dashboard'],
    summary: "The project's dashboard (a labeler member sees the project's figures and their own row)",
    roles: 'member',
    request: { params: projectParams },
    responses: { 200: jsonResponse('The dashboard, from maintained counters', dashboardSchema) },
    errors: [404],
  });
}
