import { createHash, randomBytes } from 'node:crypto';
import type { LabelClass, Project, ProjectCreate, ProjectStatus, ProjectUpdate } from '../domain/project';
import { ConflictError, type ProjectRepository, type Versioned } from '../ports/store';
import { noteProjectsChanged } from './projectDirectory';

/** One invalid field of a request that passed the schema but breaks a rule that needs the stored project. */
export interface FieldIssue {
  field: string;
  message: string;
}

export type CreateOutcome =
  /** Inserted now. */
  | { kind: 'created'; project: Versioned<Project> }
  /** A retry of an earlier create with the same id and the same spec: nothing written. */
  | { kind: 'existing'; project: Versioned<Project> }
  /** The id is taken by a project created from a different spec. */
  | { kind: 'idTaken'; project: Versioned<Project> };

export type UpdateOutcome =
  | { kind: 'updated'; project: Versioned<Project> }
  /** The update asked for what the project already is (e.g. a retried PATCH): nothing written. */
  | { kind: 'unchanged'; project: Versioned<Project> }
  | { kind: 'notFound' }
  /** The caller's If-Match no longer names the stored version. */
  | { kind: 'preconditionFailed'; project: Versioned<Project> }
  | { kind: 'archived'; project: Versioned<Project> }
  | { kind: 'invalid'; issues: FieldIssue[] };

export type ArchiveOutcome =
  { kind: 'archived'; project: Versioned<Project>; alreadyArchived: boolean } | { kind: 'notFound' };

export interface ProjectServiceOptions {
  now?: () => Date;
  /** Suffix for generated ids (lower-case letters and digits). */
  randomSuffix?: () => string;
}

/** A project may hold at most this many label classes (as the create schema allows). */
export const maxLabels = 1000;
/** Writers that lose an optimistic-concurrency race without an If-Match re-read and try again this often. */
const maxAttempts = 10;
const suffixLength = 6;

/**
 * Projects over the store port: idempotent create, optimistic updates, archive. No I/O beyond the repository, so
 * the rules are testable with any store.
 */
export class ProjectService {
  readonly #repo: ProjectRepository;
  readonly #now: () => Date;
  readonly #randomSuffix: () => string;

  constructor(repo: ProjectRepository, options: ProjectServiceOptions = {}) {
    this.#repo = repo;
    this.#now = options.now ?? (() => new Date());
    this.#randomSuffix = options.randomSuffix ?? randomSuffix;
  }

  /**
   * With a client-chosen id, a retried create is recognised by comparing the spec's digest with the stored one:
   * same spec → the existing project, different → idTaken. Without an id, one is made from the name's slug and a
   * short random suffix (so such creates are not idempotent: clients that retry should choose the id).
   */
  async create(spec: ProjectCreate, createdBy: string): Promise<CreateOutcome> {
    const digest = specDigest(spec);
    const now = this.#now().toISOString();
    const build = (id: string): Project => ({
      id,
      name: spec.name,
      type: spec.type,
      labels: spec.labels,
      instructions: spec.instructions,
      dataset: spec.dataset,
      mlAssist: spec.mlAssist,
      batchPolicy: spec.batchPolicy,
      incrementalRefresh: spec.incrementalRefresh,
      status: 'active',
      createdAt: now,
      createdBy,
      updatedAt: now,
      specDigest: digest,
    });

    if (spec.id !== undefined) {
      const { created, stored: project } = await this.#repo.insert(build(spec.id));
      if (created) return this.#changed({ kind: 'created', project });
      return project.value.specDigest === digest ? { kind: 'existing', project } : { kind: 'idTaken', project };
    }
    for (let attempt = 0; ; attempt++) {
      const { created, stored: project } = await this.#repo.insert(build(generatedId(spec.name, this.#randomSuffix())));
      if (created) return this.#changed({ kind: 'created', project });
      // 36^6 suffixes per name: a collision is rare, several in a row mean the random source is broken.
      if (attempt >= maxAttempts) throw new Error(`Could not find a free project id for '${spec.name}'.`);
    }
  }

  /** After a write: this process's blob-event routing must not go on matching against the list from before it. */
  #changed<T>(outcome: T): T {
    noteProjectsChanged();
    return outcome;
  }

  get(id: string): Promise<Versioned<Project> | undefined> {
    return this.#repo.get(id);
  }

  async list(filter: { status?: ProjectStatus } = {}): Promise<Project[]> {
    const all = await this.#repo.list();
    return filter.status ? all.filter((p) => p.status === filter.status) : all;
  }

  /**
   * Applies a PATCH. With `ifMatch` (an If-Match header value) the update applies only to that version; without
   * it, a concurrent writer's change is re-read and the update re-applied on top, so neither change is lost.
   */
  async update(id: string, update: ProjectUpdate, options: { ifMatch?: string } = {}): Promise<UpdateOutcome> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await this.#repo.get(id);
      if (!current) return { kind: 'notFound' };
      if (options.ifMatch !== undefined && !etagMatches(options.ifMatch, current.etag)) {
        return { kind: 'preconditionFailed', project: current };
      }
      if (current.value.status === 'archived') return { kind: 'archived', project: current };
      const applied = applyUpdate(current.value, update);
      if ('issues' in applied) return { kind: 'invalid', issues: applied.issues };
      if (sameProject(applied.project, current.value)) return { kind: 'unchanged', project: current };
      const next = { ...applied.project, updatedAt: this.#now().toISOString() };
      try {
        return this.#changed({ kind: 'updated', project: await this.#repo.replace(next, current.etag) });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        if (options.ifMatch !== undefined) {
          const latest = await this.#repo.get(id);
          return latest ? { kind: 'preconditionFailed', project: latest } : { kind: 'notFound' };
        }
      }
    }
    throw new ConflictError(`Project '${id}' kept changing while it was being updated; try again.`);
  }

  /** Idempotent: archiving an archived project returns it unchanged. */
  async archive(id: string): Promise<ArchiveOutcome> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await this.#repo.get(id);
      if (!current) return { kind: 'notFound' };
      if (current.value.status === 'archived') return { kind: 'archived', project: current, alreadyArchived: true };
      const next: Project = { ...current.value, status: 'archived', updatedAt: this.#now().toISOString() };
      try {
        return this.#changed({
          kind: 'archived',
          project: await this.#repo.replace(next, current.etag),
          alreadyArchived: false,
        });
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    throw new ConflictError(`Project '${id}' kept changing while it was being archived; try again.`);
  }
}

/** The PATCH rules that need the stored project: labels only grow, ML Assist only for object detection. */
export function applyUpdate(p: Project, u: ProjectUpdate): { project: Project } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const next: Project = { ...p };
  if (u.name !== undefined) next.name = u.name;
  if (u.instructions !== undefined) next.instructions = u.instructions;
  if (u.status !== undefined) next.status = u.status;
  if (u.addLabels) {
    const added = addLabels(p.labels, u.addLabels);
    if ('issues' in added) issues.push(...added.issues);
    else next.labels = added.labels;
  }
  if (u.mlAssist) {
    next.mlAssist = { ...p.mlAssist, ...u.mlAssist };
    if (next.mlAssist.enabled && p.type !== 'objectDetection') {
      issues.push({ field: 'mlAssist.enabled', message: 'ML assist is available for object detection projects only' });
    }
  }
  if (u.batchPolicy) next.batchPolicy = { ...p.batchPolicy, ...u.batchPolicy };
  if (u.incrementalRefresh) next.incrementalRefresh = { ...p.incrementalRefresh, ...u.incrementalRefresh };
  return issues.length ? { issues } : { project: next };
}

/**
 * Labels can be added, never renamed, recoloured or removed (annotations refer to them by name). Re-adding a label
 * exactly as it exists is a no-op, so a retried PATCH succeeds.
 */
function addLabels(existing: LabelClass[], added: LabelClass[]): { labels: LabelClass[] } | { issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const byName = new Map(existing.map((l) => [l.name.toLowerCase(), l]));
  const seen = new Set<string>();
  const labels = [...existing];
  added.forEach((label, i) => {
    const key = label.name.toLowerCase();
    const field = `addLabels.${i}.name`;
    if (seen.has(key)) {
      issues.push({ field, message: `label '${label.name}' is given twice` });
      return;
    }
    seen.add(key);
    const old = byName.get(key);
    if (!old) labels.push(label);
    else if (old.name !== label.name || old.color !== label.color) {
      issues.push({
        field,
        message: `label '${old.name}' already exists with a different definition; labels cannot be changed`,
      });
    }
  });
  if (labels.length > maxLabels)
    issues.push({ field: 'addLabels', message: `a project can have at most ${maxLabels} labels` });
  return issues.length ? { issues } : { labels };
}

function sameProject(a: Project, b: Project): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Digest of a validated create request (defaults applied, id left out: the id is the lookup key). */
export function specDigest(spec: ProjectCreate): string {
  const { id: _id, ...rest } = spec;
  return createHash('sha256').update(canonicalJson(rest)).digest('base64url');
}

/** JSON with object keys sorted, so equal values give equal text whatever order their keys were written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** `Cats & Dogs (2024)` → `cats-dogs-2024`; accents folded, at most `maxLength` characters, never empty. */
export function slugOf(name: string, maxLength = 64 - suffixLength - 1): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, maxLength)
    .replace(/^-+|-+$/g, '');
  return slug || 'project';
}

export function generatedId(name: string, suffix: string): string {
  return `${slugOf(name)}-${suffix}`;
}

function randomSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(suffixLength)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * Whether an If-Match header value names `etag` (RFC 9110: a list of entity tags, or `*` for any current version).
 * Store etags may or may not carry quotes (Cosmos: quoted, SQLite: a bare version number); both forms match.
 */
export function etagMatches(ifMatch: string, etag: string): boolean {
  const bare = (t: string) =>
    t
      .trim()
      .replace(/^W\//, '')
      .replace(/^"(.*)"$/, '$1');
  const want = bare(etag);
  return ifMatch.split(',').some((t) => t.trim() === '*' || bare(t) === want);
}
