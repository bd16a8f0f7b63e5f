import { z } from 'zod';
import {
  batchPolicySchema,
  datasetSchema,
  incrementalRefreshSchema,
  labelClassSchema,
  mlAssistSchema,
  projectStatuses,
  projectTypes,
} from '../../../shared/domain/project';
import { trainingRunStates } from '../../../shared/domain/labelingRecords';
import { orchestrationKinds } from '../../../shared/domain/orchestrationInstances';
import { taskStates } from '../../../shared/domain/task';

/**
 * Response bodies as the triggers build them (functions/http/projectResponse.ts, listTasks' taskView, BatchService
 * .view, the training run record). The app does not validate what it sends, so these describe it; request schemas
 * are the triggers' own.
 */

const dateTime = z.iso.datetime();

export const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(projectTypes),
  labels: z.array(labelClassSchema),
  instructions: z.string(),
  dataset: datasetSchema,
  mlAssist: mlAssistSchema,
  batchPolicy: batchPolicySchema,
  incrementalRefresh: incrementalRefreshSchema,
  status: z.enum(projectStatuses),
  createdAt: dateTime,
  createdBy: z.string(),
  updatedAt: dateTime,
  etag: z.string().meta({ description: 'The version, also sent as the `ETag` header; send it back as `If-Match`.' }),
});

const backfillSummarySchema = z.object({
  instanceId: z.string(),
  runtimeStatus: z.string().optional(),
  customStatus: z.unknown().optional(),
  failure: z.string().optional(),
  createdTime: dateTime.optional(),
  lastUpdatedTime: dateTime.optional(),
});

export const createdProjectSchema = projectSchema.extend({ backfill: backfillSummarySchema.nullable() });

export const projectDetailSchema = projectSchema.extend({
  counters: z.object({
    byState: z.record(z.enum(taskStates), z.number().int()),
    labeledReviewed: z.number().int(),
    total: z.number().int(),
    remaining: z.number().int(),
  }),
  backfill: backfillSummarySchema.nullable(),
});

const boxSchema = z.object({
  label: z.string(),
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
  score: z.number().optional().meta({ description: 'Model confidence (prelabels only).' }),
});

const annotationSchema = z.object({
  boxes: z.array(boxSchema).optional(),
  labels: z.array(z.string()).optional(),
  by: z.string(),
  at: dateTime,
  secondsOnTask: z.number().optional(),
  prelabelOutcome: z.enum(['accepted', 'edited', 'cleared']).optional(),
  prelabelRunId: z.string().optional(),
});

const prelabelSchema = z.object({
  boxes: z.array(boxSchema).optional(),
  labels: z.array(z.string()).optional(),
  modelRunId: z.string(),
  confidence: z.number(),
  threshold: z.number().optional(),
  at: dateTime,
});

export const taskSchema = z.object({
  id: z.string(),
  blobPath: z.string(),
  blobUrl: z.string(),
  contentType: z.string(),
  sizeBytes: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  state: z.enum(taskStates),
  rejectReason: z.string().optional(),
  assignment: z.object({ batchId: z.string(), labelerId: z.string(), leaseExpiresAt: dateTime }).optional(),
  annotation: annotationSchema.optional(),
  prelabel: prelabelSchema.optional(),
  skip: z.object({ by: z.string(), at: dateTime, reason: z.string().optional() }).optional(),
  createdAt: dateTime,
  updatedAt: dateTime,
});

export const memberSchema = z.object({
  projectId: z.string(),
  userId: z.string(),
  role: z.enum(['labeler', 'admin']),
  addedAt: dateTime,
  addedBy: z.string(),
});

const batchTaskSchema = z.object({
  taskId: z.string(),
  imageUrl: z.string().meta({ description: 'A read URL valid for about an hour.' }),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  state: z.enum(taskStates),
  prelabel: prelabelSchema.optional(),
  annotation: annotationSchema.optional(),
});

export const batchSchema = z.object({
  batchId: z.string(),
  state: z.enum(['live', 'done', 'released', 'expired']),
  leaseExpiresAt: dateTime,
  tasks: z.array(batchTaskSchema),
  remaining: z.number().int(),
  reason: z.string().optional().meta({ description: 'Why the batch is empty or short.' }),
});

export const allocatingSchema = z.object({
  status: z.literal('allocating'),
  requestId: z.string(),
  statusUrl: z.string().meta({ description: 'Also the `Location` header: poll it for the batch.' }),
});

export const nextTaskSchema = z.object({
  batchId: z.string(),
  leaseExpiresAt: dateTime,
  remaining: z.number().int(),
  task: batchTaskSchema.nullable(),
  reason: z.string().optional(),
});

export const submissionSchema = z.object({
  taskId: z.string(),
  state: z.enum(taskStates),
  annotation: annotationSchema.optional(),
  unchanged: z.boolean(),
  batchFinished: z.boolean(),
});

const jobRef = z.object({ jobId: z.string(), link: z.string().optional() });

export const trainingRunSchema = z.object({
  id: z.string(),
  projectId: z.string(),
  state: z.enum(trainingRunStates),
  trigger: z.enum(['threshold', 'manual']),
  threshold: z.number().int(),
  labeledAtRequest: z.number().int(),
  requestedAt: dateTime,
  requestedBy: z.string().optional(),
  provider: z.enum(['local', 'azureml']).optional(),
  updatedAt: dateTime.optional(),
  finishedAt: dateTime.optional(),
  dataset: z.object({ folder: z.string(), trainCount: z.number().int(), validationCount: z.number().int() }).optional(),
  trainingJob: jobRef.optional(),
  inferenceJob: jobRef.optional(),
  providerMetrics: z.record(z.string(), z.number()).optional(),
  progress: z.number().optional(),
  evaluation: z
    .object({
      validationImages: z.number().int(),
      mAP50: z.number(),
      mAP50_95: z.number(),
      matchedMeanIoU: z.number(),
      perClass: z.record(z.string(), z.object({ ap50: z.number(), truths: z.number().int() })),
      calibration: z.object({
        kind: z.enum(['platt', 'identity']),
        a: z.number(),
        b: z.number(),
        eceBefore: z.number(),
        eceAfter: z.number(),
      }),
    })
    .optional(),
  gate: z
    .object({
      passed: z.boolean(),
      threshold: z.number().optional(),
      precision: z.number(),
      recall: z.number(),
      meanIoU: z.number(),
      reason: z.string().optional(),
      additionalLabelsNeeded: z.number().int().optional(),
      additionalLabelsRule: z.string().optional(),
    })
    .optional(),
  predictions: z
    .object({
      parts: z.number().int(),
      partsApplied: z.number().int(),
      prelabeled: z.number().int(),
      scored: z.number().int(),
    })
    .optional(),
  failure: z.string().optional(),
  cancelRequested: z.boolean().optional(),
});

/** How labelers treated prelabels they reviewed: submitted unchanged, changed, or with every box removed. */
export const prelabelOutcomesSchema = z.object({
  accepted: z.number().int(),
  edited: z.number().int(),
  cleared: z.number().int(),
});

/** A run as `GET …/training-runs[/{runId}]` shows it: the record and its prelabels' outcomes in the field. */
export const trainingRunViewSchema = trainingRunSchema.extend({ fieldOutcomes: prelabelOutcomesSchema });

export const orchestrationSchema = z.object({
  instanceId: z.string(),
  kind: z.enum(orchestrationKinds),
  name: z.string().meta({ description: 'The orchestrator function.' }),
  runtimeStatus: z.string().meta({ example: 'Running' }),
  createdTime: dateTime,
  lastUpdatedTime: dateTime,
  customStatus: z.unknown(),
  failure: z.string().optional().meta({ description: 'First line of the error, for a Failed instance.' }),
  links: z.object({
    status: z.string().meta({
      description:
        'Path of the Durable management API status URL (`/runtime/webhooks/durabletask/instances/{id}?taskHub=…`), ' +
        'without a key: add `code=<durabletask_extension system key>`.',
    }),
    history: z.string().meta({ description: 'The same with `showHistory=true&showHistoryOutput=true`.' }),
  }),
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), continuationToken: z.string().optional() });

export const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
