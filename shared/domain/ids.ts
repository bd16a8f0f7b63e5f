import { z } from 'zod';

/** C0 controls (U+0000–U+001F), DEL (U+007F) and the C1 controls (U+0080–U+009F). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlCharacter(value: string): boolean {
  return controlCharacter.test(value);
}

/**
 * Every id a caller hands the app is built on this. Ids end up in logs, store keys and orchestration instance ids;
 * an invisible control character there makes two ids look the same, splits a log line or breaks a key. The check
 * runs first and stops the others, so such an id gets one clear message instead of several.
 */
export function callerIdSchema(format: RegExp, formatMessage: string) {
  return z
    .string()
    .refine((id) => !hasControlCharacter(id), { message: 'must not contain control characters', abort: true })
    .regex(format, formatMessage);
}

/** User ids as App Service Authentication reports them (Entra object ids, devhost ids): opaque, but one path segment. */
export const userIdSchema = callerIdSchema(
  /^[^\s/\\?#]{1,256}$/,
  'must be 1-256 characters without spaces, slashes, ? or #',
);

/** Task ids come from the app (`taskIdFor`), but callers send them back in routes. */
export const taskIdSchema = callerIdSchema(
  /^[^\s/\\?#]{1,128}$/,
  'must be 1-128 characters without spaces, slashes, ? or #',
);

/** `Idempotency-Key` header values. */
export const idempotencyKeySchema = callerIdSchema(
  /^[A-Za-z0-9._:-]{1,128}$/,
  'must be 1-128 characters of letters, digits and ._:-',
);
