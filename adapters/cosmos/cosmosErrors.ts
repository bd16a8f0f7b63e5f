/** The HTTP status of a Cosmos SDK error (ErrorResponse carries it as a numeric `code`), if it has one. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

export function hasStatus(err: unknown, ...statuses: number[]): boolean {
  const status = statusOf(err);
  return status !== undefined && statuses.includes(status);
}

export const notFound = 404;
export const conflict = 409;
export const preconditionFailed = 412;
