import { describe, expect, it } from 'vitest';
import { mlAssist } from '../../orchestrations/mlAssist';
import { evaluateTraining, labeled, type MlAssistInput } from '../../shared/workflows/labeling';
import { runOrchestrator } from '../helpers/fakeOrchestration';

const coordinator = () => runOrchestrator<MlAssistInput>(mlAssist, { projectId: 'p' });

describe('ML Assist coordinator', () => {
  it('evaluates with retries, then sleeps on the next nudge with no timer', () => {
    const c = coordinator();
    expect(c.current).toMatchObject({ kind: 'activity', name: evaluateTraining.name, retry: expect.anything() });
    c.answer({ nextThreshold: 250 });
    expect(c.current).toMatchObject({ kind: 'event', name: labeled.name });
    expect(c.timers).toEqual([]);
    c.answer(null);
    expect(c.continuedWith).toEqual({ projectId: 'p' });
  });

  it('a failing evaluation does not fail the singleton: it waits for the next nudge', () => {
    const c = coordinator();
    c.fail('store unavailable');
    expect(c.current).toMatchObject({ kind: 'event', name: labeled.name });
    expect(c.customStatus).toMatchObject({ lastError: expect.stringMatching(/store unavailable/) });
    c.answer(null);
    expect(c.continuedWith).toEqual({ projectId: 'p' });
  });

  it('stops for an archived or deleted project instead of waking forever', () => {
    const c = coordinator();
    c.answer({ stop: true });
    expect(c.current).toBeUndefined();
    expect(c.continuedWith).toBeUndefined();
    expect(c.timers).toEqual([]);
  });
});
