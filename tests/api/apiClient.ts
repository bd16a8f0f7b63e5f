import type { RunningDevhost } from '../helpers/devhost';

/** The users the API tests run as (written to users.json before devhost starts). */
export const users = {
  admin: { id: 'ada', name: 'Ada Admin', roles: ['admin'], token: 'api-test-admin-token' },
  labeler: { id: 'lin', name: 'Lin Labeler', roles: ['labeler'], token: 'api-test-labeler-token' },
};

export interface ProjectBody {
  id: string;
  name: string;
  type: string;
  labels: Array<{ name: string; color?: string }>;
  instructions: string;
  dataset: { connectionSetting: string; container: string; prefix: string; extensions: string[] };
  mlAssist: { enabled: boolean; initialTrainingThreshold: number; additionalLabelsOnRejectedModel: number };
  batchPolicy: { size: number; leaseMinutes: number };
  incrementalRefresh: { enabled: boolean; intervalMinutes: number };
  status: string;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  etag: string;
  counters?: { byState: Record<string, number>; labeledReviewed: number; total: number; remaining: number };
  backfill?: { instanceId: string; runtimeStatus?: string } | null;
}

export interface TaskBody {
  id: string;
  blobPath: string;
  state: string;
  rejectReason?: string;
  width: number | null;
  height: number | null;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** Whatever an endpoint answered: a project, a page, or a problem (fields of all, loosely). */
export type Body = Partial<ProjectBody> &
  Partial<ProblemBody> & { items?: Array<ProjectBody & TaskBody>; continuationToken?: string };

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Body;
}

export interface CallOptions {
  /** A users.json token, sent as `Authorization: Bearer`. */
  token?: string;
  /** JSON-encoded with `content-type: application/json` unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Calls the app's HTTP API on a running devhost; `path` is below `/api/`. */
export function apiClient(host: () => RunningDevhost) {
  async function call(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${host().baseUrl}/api/${path}`, {
      method,
      body,
      headers: { ...headers, ...options.headers },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Body };
  }
  const as = (token: string) => ({
    get: (path: string, o: CallOptions = {}) => call('GET', path, { token, ...o }),
    post: (path: string, body?: unknown, o: CallOptions = {}) => call('POST', path, { token, body, ...o }),
    patch: (path: string, body?: unknown, o: CallOptions = {}) => call('PATCH', path, { token, body, ...o }),
  });
  return { call, admin: as(users.admin.token), labeler: as(users.labeler.token) };
}

/** The `errors[].field` values of a problem+json body. */
export function fieldsOf(body: Body): string[] {
  return (body.errors ?? []).map((e) => e.field);
}

/** A header a client might forge: an admin principal in Easy Auth's format. */
export function forgedAdminPrincipal(): Record<string, string> {
  const principal = {
    auth_typ: 'aad',
    claims: [
      { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: 'mallory' },
      { typ: 'name', val: 'Mallory' },
      { typ: 'roles', val: 'admin' },
    ],
  };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': 'mallory',
    'x-ms-client-principal-name': 'Mallory',
  };
}

/**
 * An app setting for hosts started without Azurite: projects must name a setting the app has. Its value is no
 * connection string, so their backfills fail at once instead of retrying against a storage account that is not there.
 */
export const placeholderStorage = 'no-storage-in-this-test';

/** A small valid create request. */
export function aSpec(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    name: `Project ${id}`,
    type: 'objectDetection',
    labels: [{ name: 'cat', color: '#ff0000' }, { name: 'dog' }],
    dataset: { container: `c-${id}`.slice(0, 63) },
    ...overrides,
  };
}
