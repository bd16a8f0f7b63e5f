import { isRestError, type PipelineResponse } from '@azure/core-rest-pipeline';

/**
 * A refusal or failure from Azure ML, with ARM's error body (`{error: {code, message}}`) kept: the caller's retry
 * policy and the run's record need the status, and a person reading the run needs AML's own words.
 */
export class AzureMlError extends Error {
  override readonly name = 'AzureMlError';

  constructor(
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

interface ArmErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: { code?: unknown } };
}

function armError(bodyText: string | undefined): { code?: string; message?: string } {
  if (!bodyText) return {};
  try {
    const body = JSON.parse(bodyText) as ArmErrorBody;
    const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
    const message = typeof body.error?.message === 'string' ? body.error.message : undefined;
    return { code, message };
  } catch {
    return { message: bodyText.slice(0, 500) };
  }
}

/** The error for a non-2xx response of a raw request. */
export function errorFromResponse(what: string, response: PipelineResponse): AzureMlError {
  const { code, message } = armError(response.bodyAsText ?? undefined);
  const detail = message ?? `HTTP ${response.status}`;
  return new AzureMlError(response.status, code, `${what}: ${code ? `${code}: ` : ''}${detail}`);
}

/** The same for an SDK call that threw (RestError carries the response), other errors unchanged. */
export function errorFromSdk(what: string, err: unknown): unknown {
  if (!isRestError(err)) return err;
  const fromBody = armError(err.response?.bodyAsText ?? undefined);
  const code = fromBody.code ?? err.code;
  const detail = fromBody.message ?? err.message;
  return new AzureMlError(err.statusCode, code, `${what}: ${code ? `${code}: ` : ''}${detail}`);
}

export function isNotFound(err: unknown): boolean {
  return (err instanceof AzureMlError || isRestError(err)) && err.statusCode === 404;
}
