import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';
import { problem, validationProblem } from './problem';

/** Request bodies above this are refused before parsing (413). */
export const maxJsonBodyBytes = 1024 * 1024;

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };

/** `application/json`, `application/merge-patch+json`, any `+json` type; parameters such as charset allowed. */
function isJsonContentType(contentType: string | null): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * Reads a JSON body and validates it: 415 for another content type, 413 over 1 MB, 400 for text that is not JSON,
 * 422 naming each invalid field. Nothing has been written by the caller when this fails.
 */
export async function readJsonBody<S extends z.ZodType>(request: HttpRequest, schema: S): Promise<Parsed<z.output<S>>> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    return {
      ok: false,
      response: problem(415, 'Unsupported media type', 'Send the body as JSON (Content-Type: application/json).'),
    };
  }
  const tooLarge = () => ({
    ok: false as const,
    response: problem(413, 'Content too large', `The body must be at most ${maxJsonBodyBytes} bytes.`),
  });
  if (Number(request.headers.get('content-length') ?? 0) > maxJsonBodyBytes) return tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxJsonBodyBytes) return tooLarge();
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    const detail =
      bytes.length === 0
        ? 'The body is empty; send a JSON object.'
        : `The body is not valid JSON: ${(err as Error).message}`;
    return { ok: false, response: problem(400, 'Invalid JSON', detail) };
  }
  const result = schema.safeParse(json);
  return result.success ? { ok: true, value: result.data } : { ok: false, response: validationProblem(result.error) };
}

/** Validates the query string (each parameter once; repeated ones arrive comma-joined): 400 naming the parameter. */
export function readQuery<S extends z.ZodType>(request: HttpRequest, schema: S): Parsed<z.output<S>> {
  const result = schema.safeParse(Object.fromEntries(request.query.entries()));
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, response: validationProblem(result.error, 'query') };
}
