import type { DurableEngine } from './engine';
import { isTerminal } from './engine';
import { renderStatus } from './statusRender';
import type { InstanceQuery, RuntimeStatus } from './store';

export interface ApiRequest {
  method: string;
  /** Path below the API base, without leading slash: `instances/abc/raiseEvent/Approve`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Builds the per-instance management URLs (statusQueryGetUri, …) that responses and client bindings carry. */
export interface ManagementUrls {
  payload(instanceId: string): Record<string, string>;
  statusUrl(instanceId: string): string;
}

const runtimeStatuses: ReadonlySet<string> = new Set([
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Terminated',
]);

const defaultListPageSize = 100;
const purgePageSize = 1000;

function problem(status: number, message: string): ApiResponse {
  return { status, body: { Message: message } };
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const v = query.get(name);
  return v === null ? fallback : v.toLowerCase() === 'true';
}

function bodyJson(body: Buffer): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  JSON.parse(text); // throws on invalid JSON → 400
  return text;
}

function encodeToken(pos: { createdTime: string; instanceId: string }): string {
  return Buffer.from(JSON.stringify(pos)).toString('base64url');
}

function decodeToken(token: string | undefined): InstanceQuery['after'] {
  if (!token) return undefined;
  const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as InstanceQuery['after'];
  if (!parsed || typeof parsed.createdTime !== 'string' || typeof parsed.instanceId !== 'string') {
    throw new Error('invalid continuation token');
  }
  return parsed;
}

function runtimeStatusFilter(query: URLSearchParams): RuntimeStatus[] | undefined {
  const statuses = (query.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of statuses) if (!runtimeStatuses.has(s)) throw new RangeError(`Unknown runtimeStatus '${s}'.`);
  return statuses.length ? (statuses as RuntimeStatus[]) : undefined;
}

/** A date-time without a zone designator; JavaScript would read it as local time, the stored times are UTC. */
const zonelessDateTime = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/**
 * A time filter from the query as an ISO string comparable with the stored (UTC, ISO) created times, or undefined
 * when absent or unparsable: the extension's TryGetDateTimeQueryParameterValue treats both the same way.
 */
function queryTime(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name)?.trim();
  if (!value) return undefined;
  const ms = Date.parse(zonelessDateTime.test(value) ? `${value}Z` : value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function listQuery(query: URLSearchParams, headers: Record<string, string>): InstanceQuery {
  const top = Number(query.get('top') ?? defaultListPageSize);
  if (!Number.isInteger(top) || top <= 0) throw new RangeError('top must be a positive integer.');
  return {
    createdTimeFrom: queryTime(query, 'createdTimeFrom'),
    createdTimeTo: queryTime(query, 'createdTimeTo'),
    runtimeStatus: runtimeStatusFilter(query),
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
    after: decodeToken(headers['x-ms-continuation-token']),
    top,
  };
}

/**
 * The filter of a purge by filter, or undefined without a usable createdTimeFrom: the extension refuses to purge
 * without it (HandleDeleteHistoryWithFiltersRequestAsync) rather than purge every instance, and reads a missing or
 * unparsable createdTimeTo as "now".
 */
function purgeQuery(query: URLSearchParams): InstanceQuery | undefined {
  const createdTimeFrom = queryTime(query, 'createdTimeFrom');
  if (!createdTimeFrom) return undefined;
  return {
    createdTimeFrom,
    createdTimeTo: queryTime(query, 'createdTimeTo') ?? new Date().toISOString(),
    runtimeStatus: runtimeStatusFilter(query),
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
    top: purgePageSize,
  };
}

function isJsonContent(contentType: string | undefined): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim();
  return mediaType.toLowerCase() === 'application/json';
}

/**
 * The Durable extension's HTTP API (HttpApiHandler): the same routes serve the public management API under
 * /runtime/webhooks/durabletask and the DurableClient's RPC endpoint (`rpcBaseUrl`).
 */
export function handleDurableApi(engine: DurableEngine, urls: ManagementUrls, req: ApiRequest): ApiResponse {
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const method = req.method.toUpperCase();
  try {
    if (parts[0] === 'orchestrators' && method === 'POST' && (parts.length === 2 || parts.length === 3)) {
      return startNew(engine, urls, parts[1]!, parts[2], req);
    }
    if (parts[0] !== 'instances') return problem(404, 'Not found.');
    if (parts.length === 1) {
      if (method === 'GET') return list(engine, req);
      if (method === 'DELETE') return purgeMany(engine, req);
      return problem(405, 'Method not allowed.');
    }
    const instanceId = parts[1]!;
    if (parts.length === 2) {
      if (method === 'GET') return getStatus(engine, urls, instanceId, req);
      if (method === 'DELETE') return purgeOne(engine, instanceId);
      return problem(405, 'Method not allowed.');
    }
    const op = parts[2]!;
    if (method !== 'POST') return problem(405, 'Method not allowed.');
    if (op === 'raiseEvent' && parts.length === 4) return raiseEvent(engine, instanceId, parts[3]!, req);
    if (op === 'terminate' && parts.length === 3) {
      return signalResponse(engine.terminate(instanceId, req.query.get('reason') ?? ''), instanceId);
    }
    if (['rewind', 'suspend', 'resume', 'restart'].includes(op)) {
      return problem(501, `devhost does not implement '${op}'.`);
    }
    return problem(404, 'Not found.');
  } catch (err) {
    if (
      err instanceof SyntaxError ||
      err instanceof RangeError ||
      (err instanceof Error && /token/.test(err.message))
    ) {
      return problem(400, err.message);
    }
    throw err;
  }
}

function signalResponse(result: 'accepted' | 'notFound' | 'gone', instanceId: string): ApiResponse {
  if (result === 'accepted') return { status: 202 };
  if (result === 'gone') return problem(410, `Instance '${instanceId}' is in a completed or failed state.`);
  return problem(404, `No instance with ID '${instanceId}' found.`);
}

/**
 * As HandleRaiseEventRequestAsync: the instance's state decides first (404 unknown, 410 finished, whatever the
 * body), then only application/json content is accepted. durable-functions' raiseEvent always sends JSON and treats
 * 410 as success, so raising to a finished instance stays harmless for the app.
 */
function raiseEvent(engine: DurableEngine, instanceId: string, eventName: string, req: ApiRequest): ApiResponse {
  const status = engine.store.getRuntimeStatus(instanceId);
  if (!status) return signalResponse('notFound', instanceId);
  if (isTerminal(status)) return signalResponse('gone', instanceId);
  if (!isJsonContent(req.headers['content-type'])) {
    return problem(400, 'Only application/json request content is supported.');
  }
  // The engine checks the state again in its transaction: the instance may have finished in between.
  return signalResponse(engine.raiseEvent(instanceId, eventName, bodyJson(req.body)), instanceId);
}

/** As HandleDeleteHistoryByIdRequestAsync: 404 unknown, 412 while the orchestration has not finished. */
function purgeOne(engine: DurableEngine, instanceId: string): ApiResponse {
  const result = engine.purge(instanceId);
  if (result.outcome === 'purged') return { status: 200, body: { instancesDeleted: 1 } };
  if (result.outcome === 'notFound') return problem(404, `No instance with ID '${instanceId}' found.`);
  return problem(
    412,
    `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ` +
      `${instanceId} has status ${result.status}.`,
  );
}

function startNew(
  engine: DurableEngine,
  urls: ManagementUrls,
  name: string,
  instanceId: string | undefined,
  req: ApiRequest,
): ApiResponse {
  const input = bodyJson(req.body);
  const result = engine.startNew(name, instanceId, input, req.query.get('version') ?? undefined);
  if (!result.ok) {
    return problem(409, `An instance with ID '${result.instance.instanceId}' already exists and is not completed.`);
  }
  const id = result.instance.instanceId;
  return { status: 202, headers: { location: urls.statusUrl(id), 'retry-after': '10' }, body: urls.payload(id) };
}

function getStatus(engine: DurableEngine, urls: ManagementUrls, instanceId: string, req: ApiRequest): ApiResponse {
  const row = engine.store.getInstance(instanceId);
  if (!row) return problem(404, `No instance with ID '${instanceId}' found.`);
  const showHistory = flag(req.query, 'showHistory', false);
  const options = {
    showHistory,
    showHistoryOutput: flag(req.query, 'showHistoryOutput', false),
    showInput: flag(req.query, 'showInput', true),
  };
  const history = showHistory ? engine.store.loadHistory(instanceId) : undefined;
  const body = renderStatus(row, history, options);
  if (isTerminal(row.runtimeStatus)) {
    const fail = row.runtimeStatus === 'Failed' && flag(req.query, 'returnInternalServerErrorOnFailure', false);
    return { status: fail ? 500 : 200, body };
  }
  return { status: 202, headers: { location: urls.statusUrl(instanceId), 'retry-after': '5' }, body };
}

function list(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const q = listQuery(req.query, req.headers);
  const showInput = flag(req.query, 'showInput', false);
  const rows = engine.store.queryInstances({ ...q, top: q.top + 1 });
  const page = rows.slice(0, q.top);
  const headers: Record<string, string> = {};
  if (rows.length > q.top) {
    const last = page[page.length - 1]!;
    headers['x-ms-continuation-token'] = encodeToken({ createdTime: last.createdTime, instanceId: last.instanceId });
  }
  const options = { showHistory: false, showHistoryOutput: false, showInput };
  return { status: 200, headers, body: page.map((r) => renderStatus(r, undefined, options)) };
}

function purgeMany(engine: DurableEngine, req: ApiRequest): ApiResponse {
  const q = purgeQuery(req.query);
  if (!q) return problem(400, "Please provide value for 'createdTimeFrom' parameter.");
  let deleted = 0;
  let after: InstanceQuery['after'];
  for (;;) {
    const rows = engine.store.queryInstances({ ...q, after });
    for (const r of rows) {
      if (isTerminal(r.runtimeStatus) && engine.purge(r.instanceId).outcome === 'purged') deleted++;
    }
    if (rows.length < q.top) break;
    const last = rows[rows.length - 1]!;
    after = { createdTime: last.createdTime, instanceId: last.instanceId };
  }
  return deleted ? { status: 200, body: { instancesDeleted: deleted } } : problem(404, 'No instances matched.');
}
