import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { ManagementApiInstances, statusPath, type ClientBindingData } from '../adapters/durable/managementInstances';
import { orchestrationKinds, type OrchestrationKind } from '../shared/domain/orchestrationInstances';
import { runtimeStatuses, type RuntimeStatus } from '../shared/ports/durableInstances';
import { listProjectOrchestrations, type ProjectInstance } from '../shared/services/projectOrchestrations';
import { describeFailure } from './http/backfillSummary';
import { decimalIntegerQueryParam, readQuery } from './http/parse';
import { fieldProblem } from './http/problem';
import { adminProject } from './http/projectRoute';

/** A comma-separated list of allowed values (`kind=backfill,mlAssist`); repeated parameters arrive comma-joined. */
const commaList = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((v) => v.trim()))
    .pipe(z.array(z.enum(values)).min(1))
    .meta({ description: `Comma-separated, any of: ${values.join(', ')}` });

export const orchestrationsQuerySchema = z.object({
  kind: commaList(orchestrationKinds).optional(),
  runtimeStatus: commaList(runtimeStatuses).optional(),
  limit: decimalIntegerQueryParam({ min: 1, max: 500 }).default(100),
  /** Opaque: from the previous page, with the same `kind` and `runtimeStatus`. */
  continuationToken: z.string().min(1).max(8192).optional(),
});

function bindingData(context: InvocationContext): ClientBindingData {
  const binding = context.options.extraInputs.find((i) => i.type === 'durableClient');
  const data = binding ? context.extraInputs.get(binding) : undefined;
  const parsed: unknown = typeof data === 'string' ? JSON.parse(data) : data;
  return (parsed ?? {}) as ClientBindingData;
}

function instanceView(client: df.DurableClient, i: ProjectInstance) {
  const status = statusPath(client, i.instanceId);
  const join = status.includes('?') ? '&' : '?';
  return {
    instanceId: i.instanceId,
    kind: i.kind,
    name: i.name,
    runtimeStatus: i.runtimeStatus,
    createdTime: i.createdTime,
    lastUpdatedTime: i.lastUpdatedTime,
    customStatus: i.customStatus,
    ...(i.runtimeStatus === 'Failed' ? { failure: describeFailure(i.output) } : {}),
    links: { status, history: `${status}${join}showHistory=true&showHistoryOutput=true` },
  };
}

/**
 * `GET /api/projects/{projectId}/orchestrations?kind=&runtimeStatus=&limit=&continuationToken=` (admin): the
 * project's durable instances (backfill, ML Assist coordinator, labeler sessions, prelabel fan-outs) with their
 * status and the management API paths of their status and history (the caller adds the system key).
 */
export async function projectOrchestrations(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const admin = await adminProject(request);
  if (!admin.ok) return admin.response;
  const query = readQuery(request, orchestrationsQuerySchema);
  if (!query.ok) return query.response;
  const { kind, runtimeStatus, limit, continuationToken } = query.value;

  const client = df.getClient(context);
  const listing = await listProjectOrchestrations(
    new ManagementApiInstances(client, bindingData(context)),
    admin.project.value.id,
    {
      kinds: (kind ?? orchestrationKinds) as readonly OrchestrationKind[],
      limit,
      ...(runtimeStatus ? { runtimeStatus: runtimeStatus as readonly RuntimeStatus[] } : {}),
      ...(continuationToken ? { continuationToken } : {}),
    },
  );
  if ('invalidToken' in listing) {
    return fieldProblem(
      [{ field: 'continuationToken', message: 'is not a token from this listing (same kind filter)' }],
      400,
    );
  }
  return {
    status: 200,
    headers: { 'cache-control': 'no-store' },
    jsonBody: {
      items: listing.items.map((i) => instanceView(client, i)),
      ...(listing.continuationToken ? { continuationToken: listing.continuationToken } : {}),
    },
  };
}

app.http('projectOrchestrations', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/projects/{projectId}/orchestrations',
  extraInputs: [df.input.durableClient()],
  handler: projectOrchestrations,
});
