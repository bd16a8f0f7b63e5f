import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRoute } from '../../devhost/http/routeTemplate';
import { startDevhost, testKeys, type RunningDevhost } from '../helpers/devhost';

const bodyLimit = 64 * 1024;

describe('HTTP triggers on a real devhost', () => {
  let host: RunningDevhost;
  const api = (path: string) => `${host.baseUrl}/api/${path}`;
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

  beforeAll(async () => {
    host = await startDevhost({
      app: 'dist/tests/fixtures/http/*.js',
      env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(bodyLimit) },
    });
  });

  afterAll(async () => {
    await host?.stop();
    host?.cleanup();
  });

  it('prints the function list with URLs at startup', () => {
    const out = host.output();
    expect(out).toContain(`itemById: [GET] ${host.baseUrl}/api/items/{id:int}`);
    expect(out).toContain(`echo: [GET,POST,PUT] ${host.baseUrl}/api/echo`);
    expect(out).toContain(`catchAll: [GET] ${host.baseUrl}/api/files/{*path}`);
  });

  describe('routing', () => {
    const route = async (path: string) => json(await fetch(api(path)));

    it('prefers a literal, then a constrained parameter, then a plain one, whatever the registration order', async () => {
      expect(await route('items/new')).toEqual({ fn: 'newItem', params: {} });
      expect(await route('items/42')).toEqual({ fn: 'itemById', params: { id: '42' } });
      expect(await route('items/-7')).toEqual({ fn: 'itemById', params: { id: '-7' } });
      expect(await route('items/widget')).toEqual({ fn: 'itemBySlug', params: { slug: 'widget' } });
    });

    it('matches literals case-insensitively and decodes parameter values', async () => {
      expect(await route('ITEMS/New')).toEqual({ fn: 'newItem', params: {} });
      expect(await route('orgs/my%20org/repos/r%C3%A9po%2Fx')).toEqual({
        fn: 'twoParams',
        params: { org: 'my org', repo: 'répo/x' },
      });
    });

    it('binds optional and catch-all parameters', async () => {
      expect(await route('greet')).toEqual({ fn: 'optionalName', params: {} });
      expect(await route('greet/Ada')).toEqual({ fn: 'optionalName', params: { name: 'Ada' } });
      expect(await route('files/a/b/c.txt')).toEqual({ fn: 'catchAll', params: { path: 'a/b/c.txt' } });
      expect(await route('files')).toEqual({ fn: 'catchAll', params: {} });
    });

    it('answers 404 for unknown routes and 405 for a known route with the wrong method', async () => {
      expect((await fetch(api('nope/nothing'))).status).toBe(404);
      expect((await fetch(`${host.baseUrl}/not-under-the-prefix`)).status).toBe(404);
      expect((await fetch(api('greet/a/b'))).status).toBe(404);
      expect((await fetch(api('post-only'))).status).toBe(405);
      const posted = await fetch(api('post-only'), { method: 'POST' });
      expect(posted.status).toBe(200);
      expect(await posted.text()).toBe('posted');
    });
  });

  describe('requests', () => {
    it('passes the query (repeated keys comma-joined, as the host does) and headers', async () => {
      const res = await fetch(api('echo?a=1&b=two%20words&a=3'), { headers: { 'x-test': 'hello', 'x-multi': 'a' } });
      const body = await json(res);
      expect(body.method).toBe('GET');
      expect(body.query).toEqual({ a: '1,3', b: 'two words' });
      expect(body.headers).toMatchObject({ 'x-test': 'hello', 'x-multi': 'a' });
      expect(body.url).toBe(api('echo?a=1&b=two%20words&a=3'));
    });

    it('passes JSON bodies', async () => {
      const payload = { x: [1, 2], nested: { ok: true }, text: 'héllo ✓' };
      const res = await fetch(api('echo'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      const body = await json(res);
      expect(body.json).toEqual(payload);
      expect(body.text).toBe(JSON.stringify(payload));
    });

    it.each([
      ['application/octet-stream'],
      ['image/png'],
      [undefined], // no content type at all
    ])('round-trips binary bodies byte for byte (content-type %s)', async (contentType) => {
      const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(40_000)]);
      const res = await fetch(api('binary'), {
        method: 'POST',
        headers: contentType ? { 'content-type': contentType } : {},
        body: bytes,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-received-length')).toBe(String(bytes.length));
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    });

    it('rejects bodies over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT with 413', async () => {
      const res = await fetch(api('echo'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'x'.repeat(bodyLimit + 1),
      });
      expect(res.status).toBe(413);
      const exact = await fetch(api('binary'), { method: 'POST', body: Buffer.alloc(bodyLimit, 7) });
      expect(exact.status).toBe(200);
    });

    it('rejects a chunked body that grows over the limit with 413', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(api('echo'), { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        // No content-length: the host only learns the size while reading.
        for (let i = 0; i < 10; i++) req.write('y'.repeat(bodyLimit / 4));
        req.end();
      });
      expect(status).toBe(413);
    });
  });

  describe('responses', () => {
    it('returns status, headers, body and cookies', async () => {
      const res = await fetch(api('respond'));
      expect(res.status).toBe(201);
      expect(res.headers.get('x-custom')).toBe('yes');
      expect(await res.text()).toBe('created');
      expect(res.headers.getSetCookie()).toEqual([
        'session=abc123; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict',
        'theme=dark; Secure; SameSite=Lax',
      ]);
    });

    it('answers HEAD through the GET function with headers and no body', async () => {
      const res = await fetch(api('respond'), { method: 'HEAD' });
      expect(res.status).toBe(201);
      expect(res.headers.get('x-custom')).toBe('yes');
      expect(res.headers.get('content-length')).toBe('7');
      expect((await res.arrayBuffer()).byteLength).toBe(0);
    });

    it('answers 500 when the function throws', async () => {
      const res = await fetch(api('throws'));
      expect(res.status).toBe(500);
      await host.waitForOutput(/throws failed: Error: fixture failure/);
    });
  });

  describe('authLevel', () => {
    const fnKey = testKeys.functionKeys.default!;
    const master = testKeys.masterKey;
    const cases: Array<[string, string, { header?: string; code?: string }, number]> = [
      ['anonymous', 'no key', {}, 200],
      ['anonymous', 'a wrong key', { header: 'wrong' }, 200],
      ['function', 'no key', {}, 401],
      ['function', 'a wrong key', { header: 'wrong' }, 401],
      ['function', 'the function key header', { header: fnKey }, 200],
      ['function', 'the function key as ?code', { code: fnKey }, 200],
      ['function', 'the master key', { header: master }, 200],
      ['admin', 'no key', {}, 401],
      ['admin', 'a wrong key', { code: 'wrong' }, 401],
      ['admin', 'the function key header', { header: fnKey }, 401],
      ['admin', 'the function key as ?code', { code: fnKey }, 401],
      ['admin', 'the master key header', { header: master }, 200],
      ['admin', 'the master key as ?code', { code: master }, 200],
    ];
    it.each(cases)('%s function called with %s → %i', async (level, _what, key, expected) => {
      const query = key.code ? `?code=${encodeURIComponent(key.code)}` : '';
      const res = await fetch(api(`auth/${level}${query}`), {
        headers: key.header ? { 'x-functions-key': key.header } : {},
      });
      expect(res.status).toBe(expected);
      if (expected === 200) expect(await res.text()).toBe(`${level} ok`);
    });
  });

  describe('Host header', () => {
    /** A GET with exactly this Host header and request target (fetch would not send a malformed Host). */
    const rawGet = (target: string, hostHeader: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { port } = new URL(host.baseUrl);
        const req = request({ host: '127.0.0.1', port, path: target, headers: { host: hostHeader } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const malformed = [
      'local host',
      'localhost/evil',
      'user@evil.example',
      'localhost@evil.example:80',
      'localhost:99999',
      'localhost:0',
      'localhost:7x',
      '[::1',
      'evil.example:80:80',
    ];

    it.each(malformed)('answers 400 to Host %j before any function or runtime endpoint runs', async (value) => {
      const fn = await rawGet('/api/echo', value);
      expect(fn.status).toBe(400);
      expect(fn.body).not.toContain('evil.example');
      const admin = await rawGet(`/admin/functions?code=${testKeys.masterKey}`, value);
      expect(admin.status).toBe(400);
      expect(admin.body).not.toContain('evil.example');
    });

    it('accepts a well-formed Host and builds the request URL from it', async () => {
      for (const value of ['example.test:8080', 'example.test', '127.0.0.1:7071', '[::1]:7071']) {
        const res = await rawGet('/api/echo', value);
        expect(res.status).toBe(200);
        expect((JSON.parse(res.body) as { url: string }).url).toBe(`http://${value}/api/echo`);
      }
    });

    it('never takes the URL authority from a request target that starts with //', async () => {
      const res = await rawGet('//evil.example/api/echo', 'localhost');
      expect(res.body).not.toContain('http://evil.example');
      expect(res.status).toBe(404);
    });
  });

  it('runs the appStart, preInvocation and postInvocation hooks', async () => {
    expect(host.output()).toContain('fixture appStart hook ran');
    const res = await fetch(api('hooked'));
    expect(await res.text()).toBe('hooked');
    expect(res.headers.get('x-hook-trace')).toBe('appStart,pre,post');
  });
});

describe('route templates (property-based)', () => {
  type Kind = 'literal' | 'int' | 'param' | 'catchAll';
  // A parameter value that survives a URL path: non-empty and not a dot segment the URL parser would resolve.
  const paramValue = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
    .filter((s) => s !== '.' && s !== '..');
  const literal = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);

  /** What the HTTP server hands the matcher: the pathname of the request URL, still percent-encoded. */
  const pathnameOf = (segments: string[]) => new URL(`/${segments.join('/')}`, 'http://localhost').pathname;

  it('round-trips any parameter values through URL encoding', () => {
    const segment = fc.oneof(
      literal.map((text) => ({ kind: 'literal' as const, text })),
      paramValue.map((value) => ({ kind: 'param' as const, value })),
      fc.integer().map((n) => ({ kind: 'int' as const, value: String(n) })),
    );
    const catchAll = fc.option(fc.array(paramValue, { minLength: 1, maxLength: 4 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(segment, { minLength: 0, maxLength: 6 }), catchAll, (segments, rest) => {
        const template: string[] = [];
        const path: string[] = [];
        const expected: Record<string, string> = {};
        segments.forEach((s, i) => {
          if (s.kind === 'literal') {
            template.push(s.text);
            path.push(s.text);
          } else {
            template.push(s.kind === 'int' ? `{p${i}:int}` : `{p${i}}`);
            path.push(encodeURIComponent(s.value));
            expected[`p${i}`] = s.value;
          }
        });
        if (rest) {
          template.push('{*rest}');
          path.push(...rest.map(encodeURIComponent));
          expected.rest = rest.join('/');
        }
        expect(compileRoute(template.join('/')).match(pathnameOf(path))).toEqual(expected);
      }),
    );
  });

  it('never lets {x:int} match a non-integer', () => {
    fc.assert(
      fc.property(
        paramValue.filter((v) => !/^-?\d+$/.test(v)),
        (value) => compileRoute('items/{x:int}').match(pathnameOf(['items', encodeURIComponent(value)])) === undefined,
      ),
    );
  });

  it('orders routes that match the same path by their first differing segment: literal > {x:int} > {x} > {*x}', () => {
    const rank: Record<Kind, number> = { literal: 1, int: 2, param: 3, catchAll: 5 };
    // Templates over a path of numeric segments, so every kind can match every position.
    const kinds = (length: number) =>
      fc
        .tuple(
          fc.array(fc.constantFrom<Kind>('literal', 'int', 'param'), { minLength: length, maxLength: length }),
          fc.option(fc.nat({ max: length - 1 }), { nil: undefined }),
        )
        .map(([ks, catchAllAt]) => (catchAllAt === undefined ? ks : [...ks.slice(0, catchAllAt), 'catchAll' as Kind]));
    const scenario = fc.integer({ min: 1, max: 6 }).chain((length) =>
      fc.record({
        path: fc.array(fc.nat({ max: 999 }).map(String), { minLength: length, maxLength: length }),
        a: kinds(length),
        b: kinds(length),
      }),
    );
    const build = (ks: Kind[], path: string[]) =>
      ks
        .map((k, i) =>
          k === 'literal' ? path[i] : k === 'int' ? `{p${i}:int}` : k === 'param' ? `{p${i}}` : '{*rest}',
        )
        .join('/');
    const compare = (a: Kind[], b: Kind[]) => {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const d = (a[i] ? rank[a[i]!] : 0) - (b[i] ? rank[b[i]!] : 0);
        if (d !== 0) return Math.sign(d);
      }
      return 0;
    };
    fc.assert(
      fc.property(scenario, ({ path, a, b }) => {
        const ra = compileRoute(`api/${build(a, path)}`);
        const rb = compileRoute(`api/${build(b, path)}`);
        const url = pathnameOf(['api', ...path]);
        expect(ra.match(url)).toBeDefined();
        expect(rb.match(url)).toBeDefined();
        // compare < 0: a is more specific and must sort first (higher specificity).
        expect(Math.sign(rb.specificity - ra.specificity)).toBe(compare(a, b));
      }),
    );
  });

  it('ranks an all-literal route above any route with a parameter', () => {
    fc.assert(
      fc.property(fc.array(literal, { minLength: 1, maxLength: 6 }), fc.nat(), (parts, seed) => {
        const i = seed % parts.length;
        const withParam = parts.map((p, j) => (j === i ? '{x}' : p)).join('/');
        return compileRoute(parts.join('/')).specificity > compileRoute(withParam).specificity;
      }),
    );
  });
});
