import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FunctionInvoker } from '../core/invoker';
import type { Logger } from '../core/logger';
import type { FunctionRegistry, RegisteredFunction } from '../core/registry';
import type { RpcTypedData } from '../core/coreTypes';
import { isAuthorized, presentedKey, type HostKeys } from '../http/hostKeys';
import { sendJson, type HostRequest, type RuntimeHandler } from '../http/server';

const WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

/** Origins the extension echoes in a CloudEvents handshake; anything else gets the public cloud's. */
const KNOWN_ORIGINS = new Set([
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.azure.microsoft.scloud',
  'eventgrid.azure.cn',
]);

export interface EventGridWebhookOptions {
  registry: FunctionRegistry;
  invoker: FunctionInvoker;
  keys: HostKeys;
  logger: Logger;
}

export function eventGridWebhookUrl(baseUrl: string, functionName: string): string {
  return `${baseUrl}${WEBHOOK_PATH}?functionName=${encodeURIComponent(functionName)}`;
}

class BadRequest extends Error {}

/**
 * `/runtime/webhooks/eventgrid`, as the Functions Event Grid extension serves it (HttpRequestProcessor and
 * EventGridExtensionConfigProvider in azure-sdk-for-net): system-key auth, both validation handshakes, and
 * notifications split into one invocation per event, run in parallel; 202 when all succeed, else 500.
 * Devhost answers 400 (the extension: 500) when the body is not a JSON object or array.
 */
export function eventGridWebhook(opts: EventGridWebhookOptions): RuntimeHandler {
  return async (req, res) => {
    if (req.url.pathname.replace(/\/+$/, '').toLowerCase() !== WEBHOOK_PATH) return false;
    const key = presentedKey(req.raw.headers, req.url.searchParams);
    if (!isAuthorized(opts.keys, 'system', key, 'eventgrid_extension')) {
      res.writeHead(401, { 'content-length': 0 }).end();
      return true;
    }
    const functionName = req.url.searchParams.get('functionName') ?? '';
    // The extension keys its listeners by exact function name.
    const fn = opts.registry.get(functionName);
    if (!fn || fn.trigger.type.toLowerCase() !== 'eventgridtrigger') {
      sendText(res, 404, `cannot find function: '${functionName}'`);
      return true;
    }
    try {
      await handle(opts, fn, req, res);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      sendText(res, 400, err.message);
    }
    return true;
  };
}

async function handle(opts: EventGridWebhookOptions, fn: RegisteredFunction, req: HostRequest, res: ServerResponse) {
  if (req.method === 'OPTIONS') {
    // CloudEvents abuse-protection handshake (CloudEvents HTTP webhook spec §4).
    const origin = req.headers['webhook-request-origin'];
    const headers: Record<string, string> = {
      'webhook-allowed-origin': origin && KNOWN_ORIGINS.has(origin) ? origin : 'eventgrid.azure.net',
    };
    if (req.headers['webhook-request-rate'] !== undefined) headers['webhook-allowed-rate'] = '*';
    res.writeHead(200, { ...headers, 'content-length': 0 }).end();
    return;
  }

  switch ((req.headers['aeg-event-type'] ?? '').toLowerCase()) {
    case 'subscriptionvalidation': {
      const validationResponse = validationCodeOf(parseBody(req));
      opts.logger.info(`Event Grid handshake for function ${fn.name}.`);
      sendJson(res, 200, { validationResponse });
      return;
    }
    case 'notification': {
      const body = parseBody(req);
      const events = Array.isArray(body) ? body : [body];
      if (!events.every(isObject)) throw new BadRequest('Every event in the request body must be a JSON object.');
      const errors = await Promise.all(events.map((event) => invokeWithEvent(opts, fn, event)));
      const failure = errors.find((error) => error !== undefined);
      if (failure) sendText(res, 500, failure.message);
      else res.writeHead(202, { 'content-length': 0 }).end();
      return;
    }
    case 'unsubscribe':
      res.writeHead(202, { 'content-length': 0 }).end();
      return;
    default:
      throw new BadRequest(
        'Missing or unknown aeg-event-type header; expected SubscriptionValidation or Notification.',
      );
  }
}

/** Returns the error instead of throwing so one failing event does not cut the others short. */
async function invokeWithEvent(
  opts: EventGridWebhookOptions,
  fn: RegisteredFunction,
  event: Record<string, unknown>,
): Promise<Error | undefined> {
  // What the host hands the worker: the event as the trigger, its `data` as binding data, and `sys`.
  const triggerMetadata: Record<string, RpcTypedData> = {
    sys: json({ MethodName: fn.name, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
  if (event.data !== undefined) triggerMetadata.data = json(event.data);
  try {
    await opts.invoker.invoke(fn, { trigger: { string: JSON.stringify(event) }, triggerMetadata });
    return undefined;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    opts.logger.error(`Event Grid event ${String(event.id)} → ${fn.name} failed: ${error.stack ?? error.message}`);
    return error;
  }
}

function json(value: unknown): RpcTypedData {
  return { json: JSON.stringify(value) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(req: HostRequest): Record<string, unknown> | unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch (err) {
    throw new BadRequest(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body) && !Array.isArray(body)) {
    throw new BadRequest('The request content should be a JSON object or array.');
  }
  return body;
}

/** EventGridEvent validation comes as an array; a CloudEvent one as an object whose data may be a JSON string. */
function validationCodeOf(body: Record<string, unknown> | unknown[]): string {
  const event = Array.isArray(body) ? body[0] : body;
  let data = isObject(event) ? event.data : undefined;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      data = undefined;
    }
  }
  const code = isObject(data) ? data.validationCode : undefined;
  if (typeof code !== 'string' || !code) throw new BadRequest('No data.validationCode in the validation event.');
  return code;
}

function sendText(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
