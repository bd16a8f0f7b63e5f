import type { HttpRequest } from '@azure/functions';
import { appSettings } from '../../shared/settings';

export type AppRole = 'admin' | 'labeler';

export interface Principal {
  userId: string;
  name: string;
  roles: AppRole[];
}

interface ClientPrincipal {
  auth_typ?: string;
  name_typ?: string;
  role_typ?: string;
  claims?: Array<{ typ: string; val: string }>;
}

const objectIdClaim = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const knownRoles: ReadonlySet<string> = new Set<AppRole>(['admin', 'labeler']);

/**
 * The caller as App Service Authentication (Easy Auth) describes it in `x-ms-client-principal` (base64 JSON with
 * claims) and `x-ms-client-principal-id/-name`. The platform strips these headers from client requests, so they can
 * be trusted — but only when it does: on Azure with App Service Authentication off, nothing strips them and any client
 * could claim to be admin, so no principal is believed at all (every protected endpoint answers 401; the log and
 * `/api/health` say why). devhost plays the platform's part locally. App roles come from the Entra ID app's `roles`.
 */
export function principalOf(request: HttpRequest): Principal | undefined {
  if (!appSettings().auth.trustPrincipalHeaders) return undefined;
  const encoded = request.headers.get('x-ms-client-principal');
  if (!encoded) return undefined;
  let parsed: ClientPrincipal;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return undefined;
  }
  const claims = parsed.claims ?? [];
  const claim = (typ: string) => claims.find((c) => c.typ === typ)?.val;
  const roleType = parsed.role_typ ?? 'roles';
  const userId =
    request.headers.get('x-ms-client-principal-id') ?? claim(objectIdClaim) ?? claim('oid') ?? claim('sub');
  if (!userId) return undefined;
  const name =
    request.headers.get('x-ms-client-principal-name') ?? claim(parsed.name_typ ?? 'name') ?? claim('name') ?? userId;
  const roles = claims
    .filter((c) => c.typ === roleType || c.typ === 'roles')
    .map((c) => c.val)
    .filter((r): r is AppRole => knownRoles.has(r));
  return { userId, name, roles: [...new Set(roles)] };
}

export function hasRole(principal: Principal, role: AppRole): boolean {
  return principal.roles.includes(role);
}
