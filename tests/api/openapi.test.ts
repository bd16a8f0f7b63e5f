import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevhost, type RunningDevhost } from '../helpers/devhost';
import { placeholderStorage } from './apiClient';

// The OpenAPI document against the routes the app really registers: the host's own function list
// (`GET /admin/functions`, as on Azure), so a new endpoint without an entry, or an entry for a route that is gone,
// fails here. Route prefix changes (host.json) show in the host's URLs and need no change here.

let host: RunningDevhost;
type Operation = { security?: unknown[]; parameters?: Array<{ in: string; name: string }>; responses: object };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };
let doc: Document;

const httpMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface HostFunction {
  name: string;
  trigger: string;
  invoke_url_template: string | null;
  config: { bindings: Array<{ type: string; methods?: string[] }> };
}

/** `{id:int}`, `{id?}`, `{*rest}` → `{id}`, `{rest}`: the host's route template syntax as an OpenAPI path. */
function openApiPath(template: string): string {
  return template.replace(/\{\*?([A-Za-z0-9_]+)(?::[^}]*)?\??\}/g, '{$1}');
}

async function registeredRoutes(): Promise<string[]> {
  const res = await fetch(`${host.baseUrl}/admin/functions`, { headers: { 'x-functions-key': host.keys.masterKey } });
  expect(res.status).toBe(200);
  const functions = (await res.json()) as HostFunction[];
  return functions
    .filter((f) => f.trigger.toLowerCase() === 'httptrigger')
    .flatMap((f) => {
      const path = openApiPath(f.invoke_url_template!.replace(/^https?:\/\/[^/]+/, ''));
      const methods = f.config.bindings.find((b) => b.type.toLowerCase() === 'httptrigger')?.methods ?? [];
      return methods.map((m) => `${m.toUpperCase()} ${path}`);
    })
    .sort();
}

function documentedRoutes(d: Document): string[] {
  return Object.entries(d.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => httpMethods.includes(k))
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();
}

beforeAll(async () => {
  host = await startDevhost({ services: false, env: { AzureWebJobsStorage: placeholderStorage } });
  const res = await fetch(`${host.baseUrl}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});
afterAll(async () => {
  await host?.stop();
  host?.cleanup();
});

describe('GET /api/openapi.json', () => {
  it('is served without a caller, as JSON', async () => {
    const res = await fetch(`${host.baseUrl}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every HTTP route the app registers, and no other', async () => {
    const registered = await registeredRoutes();
    const documented = documentedRoutes(doc);
    expect(registered.length).toBeGreaterThan(20);
    expect(
      registered.filter((r) => !documented.includes(r)),
      'registered but not documented',
    ).toEqual([]);
    expect(
      documented.filter((r) => !registered.includes(r)),
      'documented but not registered',
    ).toEqual([]);
  });

  it('validates as OpenAPI 3.1 (and the validator does reject a broken copy)', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');

    const broken = structuredClone(doc);
    delete (broken.paths['/api/projects/{projectId}']!.get!.parameters![0] as { in?: string }).in;
    expect((await new Validator().validate(broken as unknown as Record<string, unknown>)).valid).toBe(false);
  });

  it('declares every path parameter of every operation', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        const declared = (op.parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort();
        expect(declared, `${method} ${path}`).toEqual(inPath);
      }
    }
  });

  it('asks for a signed-in caller and documents 401/403 everywhere except health, this document and the web app', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const where = `${method} ${path}`;
        // The web app's files are public (it signs in through /.auth); the API under it is not.
        if (path === '/api/health' || path === '/api/openapi.json' || path === '/{path}') {
          expect(op.security, where).toEqual([]);
          continue;
        }
        expect(op.security, where).toEqual([{ bearer: [] }, { appServiceSession: [] }]);
        expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });
});
