import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../adapters/sqlite/sqliteStore';
import { projectCreateSchema } from '../../shared/domain/project';
import { ProjectDirectory } from '../../shared/services/projectDirectory';
import { ProjectService } from '../../shared/services/projects';
import { createProject } from './harness';

describe('ProjectDirectory (the cached project list ingestion matches blobs against)', () => {
  let store: SqliteStore;
  let now: number;
  let directory: ProjectDirectory;
  const ids = async (container: string, blobPath: string) =>
    (await directory.projectsFor(container, blobPath)).map((p) => p.id).sort();

  beforeEach(async () => {
    store = new SqliteStore(':memory:');
    now = 1_000_000;
    directory = new ProjectDirectory(store.projects, { ttlMs: 5_000, missRecheckMs: 500, clock: () => now });
    await createProject(store, 'all-of-c', { container: 'ccc' });
    await createProject(store, 'c-val', { container: 'ccc', prefix: 'val/' });
    await createProject(store, 'old', { container: 'ccc' }, 'archived');
  });
  afterEach(async () => {
    await store.close();
  });

  it('matches container and prefix, leaving archived projects out', async () => {
    expect(await ids('ccc', 'val/1.jpg')).toEqual(['all-of-c', 'c-val']);
    expect(await ids('ccc', 'train/1.jpg')).toEqual(['all-of-c']);
    expect(await ids('other', 'val/1.jpg')).toEqual([]);
  });

  it('serves many events from one store read, and concurrent first calls share it', async () => {
    const listProjects = vi.spyOn(store.projects, 'list');
    await Promise.all(Array.from({ length: 20 }, () => ids('ccc', 'val/x.jpg')));
    now += 4_000;
    await ids('ccc', 'a.jpg');
    expect(listProjects).toHaveBeenCalledTimes(1);
    now += 1_000; // the list is now 5 s old
    await ids('ccc', 'a.jpg');
    expect(listProjects).toHaveBeenCalledTimes(2);
  });

  it('sees a new project within half a second for blobs no cached project takes', async () => {
    expect(await ids('new-container', 'a.jpg')).toEqual([]);
    await createProject(store, 'fresh', { container: 'new-container' });
    await createProject(store, 'fresh-c', { container: 'ccc' });
    now += 100;
    expect(await ids('new-container', 'a.jpg')).toEqual([]); // list 100 ms old: not re-read yet
    expect(await ids('ccc', 'a.jpg')).toEqual(['all-of-c']); // blobs that match a cached project wait for the TTL
    now += 400;
    expect(await ids('new-container', 'a.jpg')).toEqual(['fresh']);
    expect(await ids('ccc', 'a.jpg')).toEqual(['all-of-c', 'fresh-c']); // the re-read list serves everyone
  });

  it('sees at once what the project service of this process wrote: a new project, and one archived', async () => {
    const projects = new ProjectService(store.projects);
    expect(await ids('new-container', 'a.jpg')).toEqual([]);
    const spec = { name: 'Fresh', type: 'objectDetection', labels: [{ name: 'cat' }] };
    const created = await projects.create(
      projectCreateSchema.parse({ ...spec, id: 'fresh', dataset: { container: 'new-container' } }),
      'test',
    );
    expect(created.kind).toBe('created');
    // The clock has not moved: without the note, the list read before the project existed would still be used.
    expect(await ids('new-container', 'a.jpg')).toEqual(['fresh']);
    expect(await ids('ccc', 'val/1.jpg')).toEqual(['all-of-c', 'c-val']);
    await projects.archive('c-val');
    expect(await ids('ccc', 'val/1.jpg')).toEqual(['all-of-c']);
  });
});
