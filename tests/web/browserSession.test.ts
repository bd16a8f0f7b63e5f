import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aSpec, placeholderStorage } from '../api/apiClient';
import { startDevhost, type DevUser, type RunningDevhost } from '../helpers/devhost';

// Sign-in as the platform does it, on a real devhost: the /.auth endpoints (devhost's stand-in for App Service
// Authentication) open an HttpOnly, SameSite cookie session; the app then knows the browser's user, and refuses
// state-changing calls from that session that a cross-site form could have sent, while JSON calls, calls with
// X-Requested-With and bearer-token clients go through.

const admin: DevUser = { id: 'olga', name: 'Olga Owner', roles: ['admin'], token: 'session-admin-token' };
const labeler: DevUser = { id: 'lars', name: 'Lars Labeler', roles: ['labeler'], token: 'session-labeler-token' };
const guest: DevUser = { id: 'gus', name: 'Gus Guest', roles: [], token: 'session-guest-token' };
let host: RunningDevhost;

beforeAll(async () => {
  host = await startDevhost({
    services: false,
    users: [admin, labeler, guest],
    env: { AzureWebJobsStorage: placeholderStorage },
  });
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

const url = (p: string) => `${host.baseUrl}${p}`;

async function signIn(user: DevUser, redirect = '/projects/p/label'): Promise<{ cookie: string; res: Response }> {
  const res = await fetch(url('/.auth/login/aad'), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: user.token, post_login_redirect_uri: redirect }).toString(),
  });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, res };
}

describe('devhost /.auth sign-in', () => {
  it('shows a sign-in page, refuses an unknown token and signs a user in with an HttpOnly SameSite cookie', async () => {
    const page = await fetch(url('/.auth/login/aad?post_login_redirect_uri=/projects'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="post_login_redirect_uri" value="/projects"');

    const wrong = await fetch(url('/.auth/login/aad'), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=nobody&post_login_redirect_uri=/',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('No user in users.json has this token.');

    const { cookie, res } = await signIn(labeler);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/projects/p/label');
    expect(res.headers.get('set-cookie')).toMatch(
      /^AppServiceAuthSession=[\w-]{20,}; Path=\/; HttpOnly; SameSite=Lax$/,
    );

    const me = await fetch(url('/.auth/me'), { headers: { cookie } });
    expect(me.status).toBe(200);
    const [identity] = (await me.json()) as Array<{
      user_id: string;
      user_claims: Array<{ typ: string; val: string }>;
    }>;
    expect(identity!.user_id).toBe('lars');
    expect(identity!.user_claims).toContainEqual({ typ: 'name', val: 'Lars Labeler' });
    expect(identity!.user_claims).toContainEqual({ typ: 'roles', val: 'labeler' });

    // The app sees the session's user as it sees a bearer token's.
    const projects = await fetch(url('/api/projects'), { headers: { cookie } });
    expect(projects.status).toBe(200);
    expect((await fetch(url('/.auth/me'))).status).toBe(401);
  });

  it('GET /api/me: who the session is (the web app asks this), 401 signed out, 403 without an app role', async () => {
    const { cookie } = await signIn(labeler);
    const me = await fetch(url('/api/me'), { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ userId: 'lars', name: 'Lars Labeler', roles: ['labeler'] });
    expect((await fetch(url('/api/me'))).status).toBe(401);
    // A principal header a client makes up is dropped by the front door, as Easy Auth drops it.
    const forged = Buffer.from(JSON.stringify({ claims: [{ typ: 'roles', val: 'admin' }] })).toString('base64');
    const forgedRes = await fetch(url('/api/me'), {
      headers: { 'x-ms-client-principal': forged, 'x-ms-client-principal-id': 'mallory' },
    });
    expect(forgedRes.status).toBe(401);
    const guestSession = await signIn(guest);
    const refused = await fetch(url('/api/me'), { headers: { cookie: guestSession.cookie } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { detail: string }).detail).toContain('labeler');
  });

  it('follows only redirects to paths on this site', async () => {
    for (const target of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const { res } = await signIn(labeler, target);
      expect(res.headers.get('location'), target).toBe('/');
    }
  });

  it('signs out: the session cookie is cleared and no longer opens the API', async () => {
    const { cookie } = await signIn(labeler);
    const out = await fetch(url('/.auth/logout?post_logout_redirect_uri=/'), {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(out.status).toBe(302);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(url('/.auth/me'), { headers: { cookie } })).status).toBe(401);
    expect((await fetch(url('/api/projects'), { headers: { cookie } })).status).toBe(401);
  });
});

describe('cross-site request forgery', () => {
  // What a hostile page's <form> can send with the victim's cookie: a form content type and no custom header.
  const forms = ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', undefined];
  const stateChanging = [
    { method: 'POST', path: '/api/projects' },
    { method: 'PATCH', path: '/api/projects/csrf' },
    { method: 'POST', path: '/api/projects/csrf/archive' },
    { method: 'POST', path: '/api/projects/csrf/refresh' },
    { method: 'PUT', path: '/api/projects/csrf/members/lars' },
    { method: 'DELETE', path: '/api/projects/csrf/members/lars' },
    { method: 'POST', path: '/api/projects/csrf/batches' },
    { method: 'POST', path: '/api/projects/csrf/batches/current/release' },
    { method: 'PUT', path: '/api/projects/csrf/tasks/t1/annotation' },
    { method: 'POST', path: '/api/projects/csrf/tasks/t1/skip' },
    { method: 'POST', path: '/api/projects/csrf/training-runs' },
    { method: 'POST', path: '/api/projects/csrf/training-runs/r1/cancel' },
  ];

  it.each(stateChanging)('$method $path: a cookie session sending a form is refused with 403', async (e) => {
    const { cookie } = await signIn(admin);
    for (const contentType of forms) {
      const res = await fetch(url(e.path), {
        method: e.method,
        headers: { cookie, ...(contentType ? { 'content-type': contentType } : {}) },
        body: 'role=admin',
      });
      expect(res.status, String(contentType)).toBe(403);
      const body = (await res.json()) as { detail: string };
      expect(body.detail).toContain('cross-site form');
    }
  });

  it('lets a cookie session through with JSON or X-Requested-With, and bearer clients without either', async () => {
    const { cookie } = await signIn(admin);
    const created = await fetch(url('/api/projects'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(aSpec('csrf')),
    });
    expect(created.status).toBe(201);
    const refreshed = await fetch(url('/api/projects/csrf/refresh'), {
      method: 'POST',
      headers: { cookie, 'x-requested-with': 'ml-assist-web' },
    });
    expect(refreshed.status).not.toBe(403);
    expect(refreshed.status).toBeLessThan(300);
    const bearer = await fetch(url('/api/projects/csrf/refresh'), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(bearer.status).toBeLessThan(300);
    // Reads are not state-changing: a cookie session reads without either.
    expect((await fetch(url('/api/projects/csrf'), { headers: { cookie } })).status).toBe(200);
  });
});
