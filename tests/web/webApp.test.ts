import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUnder } from '../../functions/http/staticFiles';
import { repoRoot, startDevhost, type RunningDevhost } from '../helpers/devhost';
import { rawRequest } from '../helpers/rawHttp';

// The web app served by the Functions app itself at the site root (functions/webApp.ts), on a real devhost: files
// from web/dist with their types and caching, client routes answered with index.html, and the API, the host's own
// paths and /.auth never shadowed by the catch-all route. Needs `npm run build` (it builds web/dist too).

let host: RunningDevhost;
const webDist = path.join(repoRoot, 'web', 'dist');
const hashedScript = readdirSync(path.join(webDist, 'assets')).find((f) => f.endsWith('.js'))!;

beforeAll(async () => {
  host = await startDevhost({ services: false, env: { AzureWebJobsStorage: 'no-storage-in-this-test' } });
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

const get = (p: string, init: RequestInit = {}) => fetch(`${host.baseUrl}${p}`, { redirect: 'manual', ...init });

describe('the web app at the site root', () => {
  it('serves index.html at / with security headers and no long-lived caching', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await res.text()).toBe(readFileSync(path.join(webDist, 'index.html'), 'utf8'));
  });

  it('serves hashed assets as JavaScript, cached as immutable, and HEAD without a body', async () => {
    const res = await get(`/assets/${hashedScript}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(readFileSync(path.join(webDist, 'assets', hashedScript)));
    const head = await get(`/assets/${hashedScript}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers client routes with index.html, and a missing file with 404', async () => {
    const route = await get('/projects/street-scenes/label');
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<div id="app">');
    expect((await get('/assets/nothing-here.js')).status).toBe(404);
    expect((await get('/favicon.ico')).status).toBe(404);
  });

  it('never serves a file outside web/dist', async () => {
    for (const target of ['/..%2f..%2fpackage.json', '/assets/..%2f..%2f..%2fhost.json', '/%2e%2e/package.json']) {
      const res = await rawRequest(host.baseUrl, { method: 'GET', target });
      expect(res.status, target).not.toBe(200);
    }
  });

  it('registers every other HTTP function under /api/ (host.json routePrefix is empty, so routes name it)', () => {
    const httpLines = host.output().match(/^\s*\w+: \[[A-Z,]+\] \S+$/gm) ?? [];
    expect(httpLines.length).toBeGreaterThan(20);
    const outside = httpLines.filter((l) => !l.includes(`${host.baseUrl}/api/`));
    expect(outside.map((l) => l.trim())).toEqual([`webApp: [GET,HEAD] ${host.baseUrl}/{*path}`]);
  });

  it('leaves the API, the host and /.auth their own paths', async () => {
    const health = await get('/api/health');
    expect(health.headers.get('content-type')).toMatch(/json/);
    expect(((await health.json()) as { checks?: unknown }).checks).toBeDefined();
    // An unknown API path is a 404 problem, not the app's index.html.
    const unknown = await get('/api/no-such-endpoint');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    // A known API route with the wrong method falls through the route table to the catch-all, which refuses it.
    const wrongMethod = await get('/api/projects/x/tasks/t/annotation');
    expect(wrongMethod.status).toBe(404);
    expect((await get('/runtime/webhooks/durabletask/instances')).status).toBe(401);
    expect((await get('/.auth/login/aad')).headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await (await get('/.auth/login/aad')).text()).toContain('Sign in');
  });
});

describe('resolveUnder', () => {
  it('returns a path inside the root or nothing, for any URL path', () => {
    const root = path.resolve('/srv/web/dist');
    const segment = fc.oneof(fc.constantFrom('..', '.', '', 'assets', 'a.js', '..\\x', '%2e%2e'), fc.string());
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        const file = resolveUnder(root, segments.join('/'));
        if (file !== undefined) expect(file === root || file.startsWith(root + path.sep)).toBe(true);
        if (segments.some((s) => s === '..')) expect(file).toBeUndefined();
      }),
    );
  });
});
