import { describe, expect, it } from 'vitest';
import { nextTurn } from '../../shared/util/eventLoopTurns';

const busyFor = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

/** Continues in a timers-phase callback, so the next phases are known: poll, then check (the immediates). */
const fromTimersPhase = () => new Promise((r) => setTimeout(r, 0));

// Sliced synchronous work (claims, recounts, batch views) yields with nextTurn so that what arrived meanwhile — a
// request, a due timer — is taken in after at most one slice, however many jobs are sliced at once.
describe('nextTurn', () => {
  it('lets a due callback in after one slice, with twenty sliced jobs waiting', async () => {
    const order: string[] = [];
    let dueAfter: number | undefined;
    let slices = 0;
    const job = async (name: string) => {
      for (let i = 0; i < 3; i++) {
        await nextTurn();
        busyFor(1.5);
        slices++;
        order.push(name);
      }
    };
    // Due 1 ms from now: any iteration of the loop after the first slice runs it.
    await fromTimersPhase();
    setTimeout(() => (dueAfter = slices), 1);
    await Promise.all(Array.from({ length: 20 }, (_, i) => job(`j${i}`)));
    expect(dueAfter).toBeLessThanOrEqual(2);
    // Everyone got their turns, first come first served.
    expect(slices).toBe(60);
    expect(order.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `j${i}`));
  });

  it('is what a plain setImmediate yield is not (the reason it exists)', async () => {
    let dueAfter: number | undefined;
    let slices = 0;
    const job = async () => {
      await new Promise((r) => setImmediate(r));
      busyFor(1.5);
      slices++;
    };
    await fromTimersPhase();
    setTimeout(() => (dueAfter = slices), 1);
    await Promise.all(Array.from({ length: 20 }, job));
    await new Promise((r) => setTimeout(r, 5));
    // Every immediate queued before the check phase runs in it, back to back: the due timer waited for all 20.
    expect(dueAfter).toBe(20);
  });
});
