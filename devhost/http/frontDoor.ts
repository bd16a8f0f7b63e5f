import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../core/logger';
import { authEndpoints } from './authEndpoints';
import { AuthSessions, cookieValue, sessionCookieName } from './authSessions';
import type { HostRequest, RequestFilter, RuntimeHandler } from './server';

/**
 * devhost's stand-in for App Service Authentication (Easy Auth). On Azure the platform strips any client-sent
 * `x-ms-client-principal*` headers and, for a signed-in caller, injects its own; the app trusts them. Locally the
 * callers are the users of `$DATA_DIR/users.json`, each presenting `Authorization: Bearer <token>`, or a browser
 * holding the session cookie that devhost's `/.auth/login/aad` page set (./authEndpoints.ts), as Easy Auth does.
 */

const userSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  roles: z.array(z.string().min(1)),
  token: z.string().min(1),
});
const usersFileSchema = z
  .object({ users: z.array(userSchema) })
  .refine((f) => new Set(f.users.map((u) => u.token)).size === f.users.length, 'tokens must be unique');

export type DevUser = z.infer<typeof userSchema>;

export const usersFileName = 'users.json';
const principalHeaderPrefix = 'x-ms-client-principal';
const objectIdClaim = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/** Creates users.json with one admin on first start; the token is printed this once and never again. */
function createUsersFile(file: string, logger: Logger): void {
  const admin: DevUser = {
    id: 'admin',
    name: 'Administrator',
    roles: ['admin'],
    token: randomBytes(24).toString('base64url'),
  };
  try {
    writeFileSync(file, JSON.stringify({ users: [admin] }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  logger.info(
    `Created ${file} with one user, 'admin' (role admin). Its token is shown only now: call the API with ` +
      `"Authorization: Bearer ${admin.token}". Add labelers to that file (read on change, no restart needed).`,
  );
}

function readUsers(file: string): Map<string, DevUser> {
  const parsed = usersFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ');
    throw new Error(`${file} is invalid: ${issues}`);
  }
  return new Map(parsed.data.users.map((u) => [u.token, u]));
}

/** The `x-ms-client-principal` value Easy Auth sends for an Entra ID user: base64 JSON with typed claims. */
export function encodeClientPrincipal(user: DevUser): string {
  const principal = { auth_typ: 'aad', name_typ: 'name', role_typ: 'roles', claims: claimsOf(user) };
  return Buffer.from(JSON.stringify(principal), 'utf8').toString('base64');
}

/** The claims Entra ID gives a user, as Easy Auth lists them (in the principal header and in `/.auth/me`). */
export function claimsOf(user: DevUser): Array<{ typ: string; val: string }> {
  return [
    { typ: objectIdClaim, val: user.id },
    { typ: 'name', val: user.name },
    ...user.roles.map((r) => ({ typ: 'roles', val: r })),
  ];
}

function bearerToken(headers: Record<string, string>): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

export interface FrontDoor {
  filter: RequestFilter;
  /** The user a token belongs to (re-reads users.json when it changed). */
  userFor(token: string): DevUser | undefined;
  /** The `/.auth/*` endpoints (sign-in page, `/.auth/me`, logout) sharing this front door's sessions. */
  authHandler: RuntimeHandler;
}

/**
 * Loads (or creates) users.json and returns the request filter. The file is re-read when it changes, so scripts can
 * add users to a running host; an invalid edit is reported and the previous users stay in force.
 */
export function frontDoor(options: { dataDir: string; logger: Logger }): FrontDoor {
  const file = path.join(options.dataDir, usersFileName);
  if (!existsSync(file)) createUsersFile(file, options.logger);
  let users = readUsers(file);
  let seen = fileVersion(file);

  const current = (): Map<string, DevUser> => {
    const version = fileVersion(file);
    if (version !== seen) {
      seen = version;
      try {
        users = version === 'missing' ? new Map() : readUsers(file);
      } catch (err) {
        options.logger.error(`${String(err)}; keeping the previous users.`);
      }
    }
    return users;
  };

  const userFor = (token: string) => current().get(token);
  const sessions = new AuthSessions();

  const filter: RequestFilter = async (req: HostRequest) => {
    for (const name of Object.keys(req.headers)) {
      if (name.startsWith(principalHeaderPrefix)) delete req.headers[name];
    }
    // A bearer token wins over a session cookie, as with Easy Auth.
    const token = bearerToken(req.headers) ?? sessions.tokenOf(cookieValue(req.headers.cookie, sessionCookieName));
    const user = token ? userFor(token) : undefined;
    if (user) {
      req.headers[principalHeaderPrefix] = encodeClientPrincipal(user);
      req.headers[`${principalHeaderPrefix}-id`] = user.id;
      req.headers[`${principalHeaderPrefix}-name`] = user.name;
      req.headers[`${principalHeaderPrefix}-idp`] = 'aad';
    }
    return 'continue';
  };

  return { filter, userFor, authHandler: authEndpoints({ sessions, userFor }) };
}

function fileVersion(file: string): string {
  try {
    const s = statSync(file);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return 'missing';
  }
}
