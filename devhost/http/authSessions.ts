import { randomBytes } from 'node:crypto';

/**
 * Browser sessions of devhost's `/.auth` emulation: an opaque random id (the `AppServiceAuthSession` cookie, as Easy
 * Auth names it) mapped to the user's token, so a user removed from users.json is signed out on the next request.
 * Kept in memory: restarting devhost signs everyone out, which is all a local host needs.
 */
export const sessionCookieName = 'AppServiceAuthSession';

export class AuthSessions {
  readonly #tokens = new Map<string, string>();

  open(token: string): string {
    const id = randomBytes(32).toString('base64url');
    this.#tokens.set(id, token);
    return id;
  }

  tokenOf(id: string | undefined): string | undefined {
    return id ? this.#tokens.get(id) : undefined;
  }

  close(id: string | undefined): void {
    if (id) this.#tokens.delete(id);
  }
}

/** The value of one cookie in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Set-Cookie` for the session: HttpOnly (no script reads it) and SameSite=Lax (no cross-site subrequest sends it). */
export function sessionCookie(id: string): string {
  return `${sessionCookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

export function clearedSessionCookie(): string {
  return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}
