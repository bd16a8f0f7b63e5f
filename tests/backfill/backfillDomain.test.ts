import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterCheckPage,
  afterListPage,
  decideBlobMissing,
  isReconcileDue,
  startCursor,
  type BackfillCursor,
} from '../../shared/domain/backfill';
import { decideBlobCreated, type BlobFacts } from '../../shared/domain/blobFacts';
import { shuffleKeyFor, taskIdFor, taskStates, type Task } from '../../shared/domain/task';

const projectId = 'demo-project';
const now = '2025-01-02T03:04:05.000Z';

const sequencerArb = fc.oneof(
  fc.constant(''),
  fc.bigInt({ min: 1n, max: 10n ** 30n }).map((n) => n.toString().padStart(48, '0')),
);

const taskArb: fc.Arbitrary<Task> = fc
  .record({
    path: fc.stringMatching(/^[a-z0-9/]{1,20}\.jpg$/),
    state: fc.constantFrom(...taskStates),
    sequencer: sequencerArb,
    eTag: fc.stringMatching(/^0x[0-9A-F]{8}$/),
    labeled: fc.boolean(),
  })
  .map(({ path, state, sequencer, eTag, labeled }) => {
    const id = taskIdFor('images', path);
    return {
      id,
      projectId,
      container: 'images',
      blobPath: path,
      blobUrl: `http://blob/images/${path}`,
      contentType: 'image/jpeg',
      sizeBytes: 1000,
      width: 640,
      height: 480,
      eTag,
      sequencer,
      state,
      ...(labeled ? { annotation: { boxes: [], by: 'ann', at: now } } : {}),
      ...(state === 'assigned' ? { assignment: { batchId: 'b', labelerId: 'l', leaseExpiresAt: now } } : {}),
      shuffleKey: shuffleKeyFor(id),
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
    } satisfies Task;
  });

describe('decideBlobMissing', () => {
  it('removes a live task unchanged since the check, keeping its labels and its sequencer', () => {
    fc.assert(
      fc.property(taskArb, (task) => {
        const decision = decideBlobMissing(projectId, task, task, now);
        if (task.state === 'removed' || task.state === 'rejected') {
          expect(decision.kind).toBe('ignore');
          return;
        }
        expect(decision.kind).toBe('write');
        if (decision.kind !== 'write') return;
        expect(decision.task.state).toBe('removed');
        expect(decision.task.sequencer).toBe(task.sequencer);
        expect(decision.task.annotation).toEqual(task.annotation);
        expect(decision.task.assignment).toBeUndefined();
      }),
    );
  });

  it('leaves a task alone when an event changed it after the existence check', () => {
    fc.assert(
      fc.property(taskArb, sequencerArb, (checked, newerSequencer) => {
        fc.pre(newerSequencer !== checked.sequencer);
        const changed = { ...checked, sequencer: newerSequencer };
        expect(decideBlobMissing(projectId, changed, checked, now).kind).toBe('ignore');
        expect(decideBlobMissing(projectId, undefined, checked, now).kind).toBe('ignore');
      }),
    );
  });

  it('lets a later real BlobCreated restore the task, while a stale or duplicate one stays ignored', () => {
    fc.assert(
      fc.property(taskArb, sequencerArb, (task, eventSequencer) => {
        fc.pre(task.state !== 'removed' && task.state !== 'rejected');
        const decision = decideBlobMissing(projectId, task, task, now);
        if (decision.kind !== 'write') throw new Error('expected a removal');
        const facts: BlobFacts = {
          container: task.container,
          blobPath: task.blobPath,
          blobUrl: task.blobUrl,
          contentType: 'image/jpeg',
          sizeBytes: 2000,
          eTag: '0xNEW',
          sequencer: eventSequencer,
          width: 800,
          height: 600,
        };
        const after = decideBlobCreated(projectId, decision.task, facts, now);
        const newer =
          eventSequencer !== '' &&
          (task.sequencer === '' || eventSequencer.padStart(48, '0') > task.sequencer.padStart(48, '0'));
        // A listing ('' sequencer) that sees another upload (new eTag) than the removed one also restores it.
        const reuploadListed = eventSequencer === '' && task.eTag !== '' && task.eTag !== facts.eTag;
        expect(after.kind).toBe(newer || reuploadListed ? 'write' : 'ignore');
        if (after.kind === 'write') expect(after.task.state).not.toBe('removed');
      }),
    );
  });
});

describe('backfill progress', () => {
  const pageArb = fc.record({
    listed: fc.nat(5000),
    registered: fc.nat(5000),
    alreadyKnown: fc.nat(5000),
    rejected: fc.nat(5000),
  });

  it('adds up every listed page, then reconciles only projects that had tasks', () => {
    fc.assert(
      fc.property(fc.array(pageArb, { minLength: 1, maxLength: 30 }), fc.nat(3), (pages, tasksBefore) => {
        let cursor: BackfillCursor = startCursor(now, tasksBefore);
        pages.forEach((p, i) => {
          cursor = afterListPage(cursor, { ...p, continuationToken: i < pages.length - 1 ? `t${i}` : undefined });
        });
        const sum = (k: keyof (typeof pages)[number]) => pages.reduce((s, p) => s + p[k], 0);
        expect(cursor.progress).toMatchObject({
          pagesListed: pages.length,
          blobsSeen: sum('listed'),
          registered: sum('registered'),
          alreadyKnown: sum('alreadyKnown'),
          rejected: sum('rejected'),
        });
        expect(cursor.phase).toBe(tasksBefore > 0 ? 'reconciling' : 'completed');
        expect(cursor.continuationToken).toBeUndefined();
        if (cursor.phase === 'reconciling') {
          cursor = afterCheckPage(cursor, { checked: 10, markedRemoved: 2, continuationToken: 'x' });
          cursor = afterCheckPage(cursor, { checked: 5, markedRemoved: 1 });
          expect(cursor.phase).toBe('completed');
          expect(cursor.progress).toMatchObject({ tasksChecked: 15, markedRemoved: 3 });
        }
      }),
    );
  });
});

describe('isReconcileDue', () => {
  const project = { status: 'active' as const, incrementalRefresh: { enabled: true, intervalMinutes: 60 } };
  const at = (iso: string) => new Date(iso);

  it('is due when no run is on record, or the last one finished at least the interval ago', () => {
    expect(isReconcileDue(project, undefined, at('2025-01-01T12:00:00Z'))).toBe(true);
    const last = { running: false, lastUpdatedTime: at('2025-01-01T11:00:00Z') };
    expect(isReconcileDue(project, last, at('2025-01-01T11:59:59Z'))).toBe(false);
    expect(isReconcileDue(project, last, at('2025-01-01T12:00:00Z'))).toBe(true);
  });

  it('is never due while a run is going, with incremental refresh off, or once archived', () => {
    const long = at('2030-01-01T00:00:00Z');
    expect(isReconcileDue(project, { running: true, lastUpdatedTime: at('2025-01-01T00:00:00Z') }, long)).toBe(false);
    expect(
      isReconcileDue({ ...project, incrementalRefresh: { enabled: false, intervalMinutes: 60 } }, undefined, long),
    ).toBe(false);
    expect(isReconcileDue({ ...project, status: 'archived' }, undefined, long)).toBe(false);
  });
});
