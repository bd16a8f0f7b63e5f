import { describeProblem } from './problem';
import type { Me } from './types';

export type SignedIn = { kind: 'signedIn'; me: Me } | { kind: 'signedOut' } | { kind: 'refused'; reason: string };

/**
 * Who is signed in, from the app's own `GET /api/me` (the platform's session cookie reaches the app as principal
 * headers, on Azure and on devhost alike): 401 means nobody, 403 a user the app gives no role.
 */
export async function currentUser(): Promise<SignedIn> {
  const res = await fetch('/api/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) return { kind: 'signedOut' };
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) return { kind: 'refused', reason: describeProblem(res.status, body) };
  return { kind: 'signedIn', me: body as Me };
}
