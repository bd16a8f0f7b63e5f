import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { problem, validationProblem } from './problem';

/** Request bodies above this are refused before parsing (413). */
export const maxJsonBodyBytes = 1024 * 1024;

export type Parsed<T> = { ok: true; value: T } | { ok: false; response: HttpResponseInit };

/** `application/json`, `application/merge-patch+json`, any `+json` type; parameters such as charset allowed. */
export function isJsonContentType(contentType: string | null): boolean {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

const unsupportedMediaType = (): Parsed<never> => ({
  ok: false,
  response: problem(415, 'Unsupported media type', 'Send the body as JSON (Content-Type: application/json).'),
});

/**
 * The body's bytes, 413 over `maxBytes` (1 MB unless the endpoint says). Content-Length only lets a large body be
 * refused before reading it: a chunked body has none, so the bytes read are what counts.
 */
async function readBodyBytes(request: HttpRequest, maxBytes = maxJsonBodyBytes): Promise<Parsed<Buffer>> {
  const tooLarge = () => ({
    ok: false as const,
    response: problem(413, 'Content too large', `The body must be at most ${maxBytes} bytes.`),
  });
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) return tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  return bytes.length > maxBytes ? tooLarge() : { ok: true, value: bytes };
}

/**
 * Reads a JSON body and validates it: 415 for another content type, 413 over 1 MB (or `options.maxBytes`, for the
 * few endpoints that take files), 400 for text that is not JSON, 422 naming each invalid field. Nothing has been
 * written by the caller when this fails.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
  options: { maxBytes?: number } = {},
): Promise<Parsed<z.output<S>>> {
  if (!isJsonContentType(request.headers.get('content-type'))) return unsupportedMediaType();
  const bytes = await readBodyBytes(request, options.maxBytes);
  return bytes.ok ? parseJson(bytes.value, schema) : bytes;
}

/**
 * For endpoints whose body may be left out: no bytes at all, however the request was framed (no body,
 * `Content-Length: 0`, an empty chunked body), gives `undefined`; anything else is read as `readJsonBody` does.
 */
export async function readOptionalJsonBody<S extends z.ZodType>(
  request: HttpRequest,
  schema: S,
): Promise<Parsed<z.output<S> | undefined>> {
  const bytes = await readBodyBytes(request);
  if (!bytes.ok) return bytes;
  if (bytes.value.length === 0) return { ok: true, value: undefined };
  if (!isJsonContentType(request.headers.get('content-type'))) return unsupportedMediaType();
  return parseJson(bytes.value, schema);
}

function parseJson<S extends z.ZodType>(bytes: Buffer, schema: S): Parsed<z.output<S>> {
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

/** Validates route parameters (`{ taskId: taskIdSchema }`, …): 400 naming the parameter. */
export function readRouteParams<S extends z.ZodType>(request: HttpRequest, schema: S): Parsed<z.output<S>> {
  const result = schema.safeParse({ ...request.params });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, response: validationProblem(result.error, 'path') };
}

/**
 * A whole-number query parameter, written as plain decimal digits without sign or leading zeros. `Number()` and
 * `z.coerce.number()` also take `0x10`, `1e2`, ` 5`, `+5` and `-0`; a client sending those has a bug, and two
 * spellings of one value would make two cache keys and two log lines that look different.
 */
export function decimalIntegerQueryParam(range: { min: number; max: number }) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a whole number in decimal digits (no sign, spaces, exponent or 0x)')
    .transform(Number)
    .pipe(z.number().int().min(range.min).max(range.max));
}
