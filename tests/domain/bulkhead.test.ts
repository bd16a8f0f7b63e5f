import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Bulkhead } from '../../shared/util/bulkhead';

// The in-process limit on batch requests served at once (functions/batchesRequest.ts): never more than the limit
// running while every caller waits its turn in arrival order, everyone finishes (also after failures), and a wait
// longer than the bound goes ahead anyway.

afterEach(() => {
  vi.useRealTimers();
});

const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('the bulkhead', () => {
  it('runs at most `limit` calls at once, starts them in arrival order, and finishes all of them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ fails: fc.boolean(), finishOrder: fc.nat() }), { minLength: 1, maxLength: 12 }),
        async (limit, calls) => {
          const bulkhead = new Bulkhead(limit, 60_000);
          const started: number[] = [];
          const finish: Array<() => void> = [];
          let running = 0;
          let most = 0;
          const results = calls.map((call, i) =>
            bulkhead
              .run(async () => {
                started.push(i);
                most = Math.max(most, ++running);
                await new Promise<void>((resolve) => finish.push(resolve));
                running--;
                if (call.fails) throw new Error(`call ${i} failed`);
                return i;
              })
              .then(
                (value) => ({ value }),
                (error: Error) => ({ error: error.message }),
              ),
          );
          // Finish running calls in an arbitrary order until all are done.
          for (let step = 0; finish.length > 0 || started.length < calls.length; step++) {
            await flush();
            if (finish.length === 0) continue;
            const pick = calls[step % calls.length]!.finishOrder % finish.length;
            finish.splice(pick, 1)[0]!();
          }
          const outcomes = await Promise.all(results);
          expect(most).toBeLessThanOrEqual(limit);
          expect(started).toEqual(calls.map((_, i) => i));
          outcomes.forEach((o, i) => expect(o).toEqual(calls[i]!.fails ? { error: `call ${i} failed` } : { value: i }));
          expect(bulkhead.size).toEqual({ active: 0, waiting: 0 });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('lets a caller that waited longer than the bound go ahead', async () => {
    vi.useFakeTimers();
    const bulkhead = new Bulkhead(1, 2_000);
    let release!: () => void;
    const first = bulkhead.run(() => new Promise<void>((resolve) => (release = resolve)));
    let secondRan = false;
    const second = bulkhead.run(async () => {
      secondRan = true;
    });
    await vi.advanceTimersByTimeAsync(1_999);
    expect(secondRan).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await second;
    expect(secondRan).toBe(true);
    release();
    await first;
    expect(bulkhead.size).toEqual({ active: 0, waiting: 0 });
  });
});
