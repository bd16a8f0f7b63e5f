import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Coalescer } from '../../functions/http/coalesce';

// The nudge coalescer: every caller must be answered by a call that started after it asked (so the coordinator
// sees what the caller wrote), while a burst of callers shares calls.

/** Calls that finish when the test says so; records when each started. */
function controlledCalls() {
  const calls: Array<{ startedAtStep: number; finish(): void; fail(): void }> = [];
  let step = 0;
  const call = () =>
    new Promise<void>((resolve, reject) => {
      calls.push({ startedAtStep: step, finish: resolve, fail: () => reject(new Error('raise failed')) });
    });
  return {
    calls,
    call,
    tick: () => ++step,
    get step() {
      return step;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('coalescing nudges', () => {
  it('a burst of callers costs two calls, and each is answered by one that started after it asked', async () => {
    const c = new Coalescer();
    const f = controlledCalls();
    const answered: number[] = [];
    const first = c.run('p', f.call).then(() => answered.push(0));
    const burst = [1, 2, 3, 4].map((i) => c.run('p', f.call).then(() => answered.push(i)));
    expect(f.calls).toHaveLength(1);
    f.calls[0]!.finish();
    await settle();
    expect(answered).toEqual([0]); // the burst asked after the first call started: it waits for the next one
    expect(f.calls).toHaveLength(2);
    f.calls[1]!.finish();
    await Promise.all([first, ...burst]);
    expect(answered.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(f.calls).toHaveLength(2);
  });

  it('keys are independent; a failed call fails its callers and does not block the next', async () => {
    const c = new Coalescer();
    const f = controlledCalls();
    const a = c.run('a', f.call);
    const b = c.run('b', f.call);
    expect(f.calls).toHaveLength(2);
    f.calls[0]!.fail();
    await expect(a).rejects.toThrow('raise failed');
    f.calls[1]!.finish();
    await b;
    const again = c.run('a', f.call);
    expect(f.calls).toHaveLength(3);
    f.calls[2]!.finish();
    await again;
  });

  it('for any interleaving, no caller is answered before a call that started after it asked has finished', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('ask', 'finish'), { minLength: 1, maxLength: 40 }), async (script) => {
        const c = new Coalescer();
        const f = controlledCalls();
        const finishedStarts: number[] = []; // start steps of the calls finished so far
        const pending: Array<Promise<void>> = [];
        let next = 0; // the oldest call not finished yet
        for (const action of script) {
          const step = f.tick();
          if (action === 'ask') {
            pending.push(
              c.run('p', f.call).then(() => {
                expect(finishedStarts.some((s) => s >= step)).toBe(true);
              }),
            );
          } else if (next < f.calls.length) {
            finishedStarts.push(f.calls[next]!.startedAtStep);
            f.calls[next++]!.finish();
          }
          await settle();
        }
        // Drain: finish calls until everyone is answered.
        while (next < f.calls.length) {
          f.tick();
          finishedStarts.push(f.calls[next]!.startedAtStep);
          f.calls[next++]!.finish();
          await settle();
        }
        await Promise.all(pending);
        expect(f.calls.length).toBeLessThanOrEqual(script.filter((a) => a === 'ask').length);
      }),
    );
  });
});
