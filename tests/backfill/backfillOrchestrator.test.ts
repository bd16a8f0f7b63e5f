import { describe, expect, it } from 'vitest';
import { backfillProject } from '../../orchestrations/backfillProject';
import {
  checkBackfillPage,
  listBackfillPage,
  prepareBackfill,
  type BackfillInput,
} from '../../shared/workflows/backfill';
import { runOrchestrator } from '../helpers/fakeOrchestration';

const run = (input: BackfillInput) => runOrchestrator<BackfillInput>(backfillProject, input);
const page = (token?: string) => ({
  listed: 10,
  registered: 9,
  alreadyKnown: 1,
  rejected: 0,
  continuationToken: token,
});

describe('backfill orchestrator', () => {
  it('lists page by page with retries, then reconciles the tasks that existed before', () => {
    const b = run({ projectId: 'p' });
    expect(b.current).toMatchObject({
      name: prepareBackfill.name,
      input: { projectId: 'p' },
      retry: expect.anything(),
    });
    b.answer({ tasksBefore: 5 });
    expect(b.current).toMatchObject({ name: listBackfillPage.name, input: { projectId: 'p' } });
    b.answer(page('next'));
    expect(b.current).toMatchObject({ name: listBackfillPage.name, input: { continuationToken: 'next' } });
    b.answer(page());
    expect(b.current).toMatchObject({ name: checkBackfillPage.name, input: { projectId: 'p' } });
    b.answer({ checked: 5, markedRemoved: 2 });
    expect(b.current).toBeUndefined();
    expect(b.output).toMatchObject({ phase: 'completed', pagesListed: 2, registered: 18, markedRemoved: 2 });
  });

  it('continues as new every 20 pages, carrying its cursor, so history stays short', () => {
    const b = run({ projectId: 'p' });
    b.answer({ tasksBefore: 0 });
    for (let i = 0; i < 20; i++) b.answer(page(`t${i}`));
    expect(b.current).toBeUndefined();
    expect(b.continuedWith).toMatchObject({
      projectId: 'p',
      resume: { phase: 'listing', continuationToken: 't19', progress: { pagesListed: 20 } },
    });
  });

  it('stops early with the reason when the project cannot be backfilled', () => {
    const b = run({ projectId: 'p' });
    b.answer({ skip: 'the storage connection setting X is not usable', tasksBefore: 0 });
    expect(b.output).toMatchObject({ phase: 'skipped', note: 'the storage connection setting X is not usable' });
  });

  it('fails the run when an activity keeps failing through its retries (the next refresh starts over)', () => {
    const b = run({ projectId: 'p' });
    b.answer({ tasksBefore: 0 });
    expect(() => b.fail('listing refused: 403')).toThrow(/403/);
  });

  it('refuses a malformed input at once', () => {
    expect(() => run({ projectId: '' })).toThrow(/projectId/);
  });
});
