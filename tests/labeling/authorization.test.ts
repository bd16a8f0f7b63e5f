import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgedAdminPrincipal } from '../api/apiClient';
import {
  admin,
  boxInside,
  labelers,
  labelingApi,
  seedProject,
  startLabelingHost,
  type BatchBody,
  type LabelingHost,
  type TaskItem,
} from './harness';

// The 401/403 matrix over every labeling endpoint and the membership and training-run endpoints: no caller → 401
// (also when the client forges the platform's principal header, which devhost's front door strips), a labeler who
// is not a member → 403, a member → served, admins → served (membership management is theirs alone).

const [member, outsider] = labelers(2, 'auth');
const projectId = 'auth-matrix';
let env: LabelingHost;
const api = labelingApi(() => env.host);

beforeAll(async () => {
  env = await startLabelingHost([member!, outsider!]);
  // Batches of two, so the member and the admin each get their own tasks.
  await seedProject(api, env.storage, { id: projectId, images: 6, batchPolicy: { size: 2 }, members: [member!] });
  await seedProject(api, env.storage, { id: 'auth-other', images: 0 });
}, 180_000);

afterAll(async () => {
  await env?.host.stop();
  env?.host.cleanup();
});

/** The tasks each caller was handed, filled in by the batch request row (rows run in order). */
const held: Record<'member' | 'admin', TaskItem[]> = { member: [], admin: [] };

interface Row {
  name: string;
  method: string;
  /** Route below /api/; `who` picks the caller's own task where the route needs one. */
  route: (who: 'member' | 'admin') => string;
  body?: (who: 'member' | 'admin') => unknown;
  member: number;
  admin: number;
}

const task = (who: 'member' | 'admin', i: number) => held[who][i]?.taskId ?? 'no-such-task';
const p = `projects/${projectId}`;

const rows: Row[] = [
  { name: 'request a batch', method: 'POST', route: () => `${p}/batches`, member: 200, admin: 200 },
  { name: 'current batch', method: 'GET', route: () => `${p}/batches/current`, member: 200, admin: 200 },
  { name: 'next task', method: 'GET', route: () => `${p}/tasks/next`, member: 200, admin: 200 },
  {
    name: 'status of a batch request the session never saw',
    method: 'GET',
    route: () => `${p}/batches/requests/never-asked`,
    member: 404,
    admin: 404,
  },
  {
    name: 'submit an annotation',
    method: 'PUT',
    route: (who) => `${p}/tasks/${task(who, 0)}/annotation`,
    body: (who) => ({ boxes: [boxInside(held[who][0] ?? { width: 40, height: 40 })] }),
    member: 200,
    admin: 200,
  },
  {
    name: 'skip a task',
    method: 'POST',
    route: (who) => `${p}/tasks/${task(who, 1)}/skip`,
    body: () => ({ reason: 'unsure' }),
    member: 200,
    admin: 200,
  },
  { name: 'release the batch', method: 'POST', route: () => `${p}/batches/current/release`, member: 200, admin: 200 },
  { name: 'training runs', method: 'GET', route: () => `${p}/training-runs`, member: 200, admin: 200 },
  { name: 'dashboard', method: 'GET', route: () => `${p}/dashboard`, member: 200, admin: 200 },
  { name: 'one training run', method: 'GET', route: () => `${p}/training-runs/run-000000250`, member: 404, admin: 404 },
  // Admin only; this project has too few labels for a model.
  { name: 'train now', method: 'POST', route: () => `${p}/training-runs`, member: 403, admin: 422 },
  {
    name: 'cancel a training run',
    method: 'POST',
    route: () => `${p}/training-runs/run-000000250/cancel`,
    member: 403,
    admin: 404,
  },
  {
    name: 'import labels',
    method: 'POST',
    route: () => `${p}/imports`,
    // A dry run: the file names no image, so there is nothing to write either way.
    body: () => ({ format: 'coco', source: { inline: { images: [], annotations: [], categories: [] } }, dryRun: true }),
    member: 403,
    admin: 200,
  },
  // No import has this id: an admin gets past the checks to a 404.
  {
    name: 'import status',
    method: 'GET',
    route: () => `${p}/imports/iAAAAAAAAAAAAAAAAAAAAAA`,
    member: 403,
    admin: 404,
  },
  { name: 'list members', method: 'GET', route: () => `${p}/members`, member: 403, admin: 200 },
  {
    name: 'add a member',
    method: 'PUT',
    route: () => `${p}/members/newcomer`,
    body: () => ({ role: 'labeler' }),
    member: 403,
    admin: 201,
  },
  { name: 'remove a member', method: 'DELETE', route: () => `${p}/members/newcomer`, member: 403, admin: 204 },
];

describe('401/403 matrix over the labeling endpoints', () => {
  it.each(rows)('$name', async (row) => {
    const send = (token: string | undefined, who: 'member' | 'admin', headers: Record<string, string> = {}) =>
      api.call<Partial<BatchBody> & { status?: number; title?: string }>(row.method, row.route(who), {
        ...(token ? { token } : {}),
        ...(row.body ? { body: row.body(who) } : {}),
        headers,
      });

    const anonymous = await send(undefined, 'member');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
    // A client cannot make itself an admin by sending the platform's header: the front door strips it.
    expect((await send(undefined, 'member', forgedAdminPrincipal())).status).toBe(401);
    // Nor can a labeler escalate with it.
    expect((await send(outsider!.token, 'member', forgedAdminPrincipal())).status).toBe(403);
    const stranger = await send(outsider!.token, 'member');
    expect(stranger.status).toBe(403);
    expect(stranger.body.title).toBe('Forbidden');

    const asMember = await send(member!.token, 'member');
    expect(asMember.status, JSON.stringify(asMember.body)).toBe(row.member);
    const asAdmin = await send(admin.token, 'admin');
    expect(asAdmin.status, JSON.stringify(asAdmin.body)).toBe(row.admin);

    if (row.name === 'request a batch') {
      held.member = asMember.body.tasks ?? [];
      held.admin = asAdmin.body.tasks ?? [];
      expect(held.member).toHaveLength(2);
      expect(held.admin).toHaveLength(2);
    }
  });

  it('a labeler sees only the projects they are a member of; admins see all', async () => {
    const ids = async (token: string) =>
      ((await api.call<{ items: Array<{ id: string }> }>('GET', 'projects', { token })).body.items ?? []).map(
        (x) => x.id,
      );
    expect(await ids(member!.token)).toEqual([projectId]);
    expect(await ids(outsider!.token)).toEqual([]);
    expect(await ids(admin.token)).toEqual(expect.arrayContaining([projectId, 'auth-other']));
    expect((await api.call('GET', 'projects')).status).toBe(401);
  });

  it('removing a member takes their access away at once', async () => {
    expect((await api.call('GET', `${p}/training-runs`, { token: outsider!.token })).status).toBe(403);
    const added = await api.call('PUT', `${p}/members/${outsider!.id}`, {
      token: admin.token,
      body: { role: 'labeler' },
    });
    expect(added.status).toBe(201);
    expect((await api.call('GET', `${p}/training-runs`, { token: outsider!.token })).status).toBe(200);
    expect((await api.call('DELETE', `${p}/members/${outsider!.id}`, { token: admin.token })).status).toBe(204);
    expect((await api.call('GET', `${p}/training-runs`, { token: outsider!.token })).status).toBe(403);
  });
});
