import { describeProblem } from './problem';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(describeProblem(status, body));
  }
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** Sends the browser to the platform's sign-in page (App Service Authentication, or devhost's stand-in). */
export function signIn(): void {
  const here = location.pathname + location.search;
  location.assign(`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(here)}`);
}

/**
 * Calls the app's API with the session cookie. Every call carries `X-Requested-With`, and bodies go as JSON: the
 * API refuses cookie-authenticated state-changing calls without either (a cross-site form can send neither).
 * 2xx resolves; anything else rejects with the problem's words; 401 sends the browser to sign in.
 */
export async function api<T>(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { 'x-requested-with': 'ml-assist-web', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { detail: text };
    }
  }
  if (res.status === 401) signIn();
  if (!res.ok) throw new ApiError(res.status, parsed);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

export const projectPath = (projectId: string) => `/api/projects/${encodeURIComponent(projectId)}`;
