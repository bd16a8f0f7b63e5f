import type { Me } from './types';

interface EasyAuthIdentity {
  user_id: string;
  user_claims?: Array<{ typ: string; val: string }>;
}

/**
 * The signed-in user from `/.auth/me` (App Service Authentication's endpoint; devhost emulates it), or undefined
 * when nobody is signed in (401, or an empty list).
 */
export async function currentUser(): Promise<Me | undefined> {
  const res = await fetch('/.auth/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) return undefined;
  const identities = (await res.json()) as EasyAuthIdentity[];
  const first = identities[0];
  if (!first) return undefined;
  const claims = first.user_claims ?? [];
  const name = claims.find((c) => c.typ === 'name')?.val ?? first.user_id;
  const roles = claims.filter((c) => c.typ === 'roles' || c.typ.endsWith('/role')).map((c) => c.val);
  return { userId: first.user_id, name, roles };
}
