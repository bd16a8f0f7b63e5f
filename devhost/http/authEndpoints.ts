import type { ServerResponse } from 'node:http';
import { clearedSessionCookie, cookieValue, sessionCookie, sessionCookieName, type AuthSessions } from './authSessions';
import { claimsOf, type DevUser } from './frontDoor';
import type { HostRequest, RuntimeHandler } from './server';

/**
 * devhost's `/.auth` endpoints, the browser side of App Service Authentication, so the web app signs in the same way
 * locally and on Azure: `GET /.auth/login/aad` (here a small page taking a user's token from users.json instead of
 * the Entra ID redirect), `POST` to it opens a cookie session, `GET /.auth/me` describes the signed-in user in Easy
 * Auth's JSON shape (401 without a session), `GET /.auth/logout` ends the session. Each takes the redirect parameter
 * Easy Auth takes; only paths on this site are followed, so the pages cannot be used as an open redirect.
 */
export function authEndpoints(options: {
  sessions: AuthSessions;
  userFor: (token: string) => DevUser | undefined;
}): RuntimeHandler {
  const { sessions, userFor } = options;
  return async (req: HostRequest, res: ServerResponse) => {
    const route = req.url.pathname.toLowerCase().replace(/\/+$/, '');
    if (route !== '/.auth' && !route.startsWith('/.auth/')) return false;
    const sessionId = cookieValue(req.headers.cookie, sessionCookieName);

    if (route === '/.auth/login/aad' && (req.method === 'GET' || req.method === 'HEAD')) {
      sendHtml(res, 200, loginPage(localPath(req.url.searchParams.get('post_login_redirect_uri'))));
      return true;
    }
    if (route === '/.auth/login/aad' && req.method === 'POST') {
      const form = new URLSearchParams(req.body.toString('utf8'));
      const redirect = localPath(form.get('post_login_redirect_uri'));
      const token = (form.get('token') ?? '').trim();
      const user = token ? userFor(token) : undefined;
      if (!user) {
        sendHtml(res, 401, loginPage(redirect, 'No user in users.json has this token.'));
        return true;
      }
      sessions.close(sessionId);
      res.writeHead(302, {
        location: redirect,
        'set-cookie': sessionCookie(sessions.open(token)),
        'content-length': 0,
      });
      res.end();
      return true;
    }
    if (route === '/.auth/me' && req.method === 'GET') {
      const token = sessions.tokenOf(sessionId);
      const user = token ? userFor(token) : undefined;
      if (!user) {
        sendText(res, 401, 'Not signed in.');
        return true;
      }
      const body = JSON.stringify([
        { provider_name: 'aad', user_id: user.id, user_claims: claimsOf(user).map(({ typ, val }) => ({ typ, val })) },
      ]);
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
      return true;
    }
    if (route === '/.auth/logout' && req.method === 'GET') {
      sessions.close(sessionId);
      const redirect = localPath(req.url.searchParams.get('post_logout_redirect_uri'));
      res.writeHead(302, { location: redirect, 'set-cookie': clearedSessionCookie(), 'content-length': 0 });
      res.end();
      return true;
    }
    sendText(res, 404, `No /.auth endpoint ${req.method} ${req.url.pathname}.`);
    return true;
  };
}

/** A redirect target on this site: a path starting with one slash (not `//host`, not a URL with a scheme). */
function localPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  return value;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(redirect: string, error?: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in (devhost)</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1b1b1b}
label{display:block;margin:1rem 0 .25rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1.25rem;font:inherit}.error{color:#a4000f}</style></head>
<body><main>
<h1>Sign in</h1>
<p>devhost stands in for Microsoft Entra ID here: sign in with a user's token from <code>users.json</code> in the
data directory.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/.auth/login/aad">
<input type="hidden" name="post_login_redirect_uri" value="${escapeHtml(redirect)}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main></body></html>
`;
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
