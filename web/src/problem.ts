/** An RFC 9457 problem as the API sends it (functions/http/problem.ts). */
export interface Problem {
  status?: number;
  title?: string;
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The problem in words for the labeler, naming each invalid field. */
export function describeProblem(status: number, body: unknown): string {
  const p = (body && typeof body === 'object' ? body : {}) as Problem;
  if (p.errors?.length) return p.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  if (p.detail) return p.detail;
  if (p.title) return p.title;
  return `The server answered ${status}.`;
}
