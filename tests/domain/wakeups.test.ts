import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Wakeups } from '../../shared/util/wakeups';

// The in-process wake-ups a batch request waits on (functions/http/batchRequest.ts): a key fired wakes exactly the
// waiters registered for it before, and no wait, fired or cancelled, leaves anything behind.

const settled = async (p: Promise<void>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('wake-ups by key', () => {
  it('wakes the waiters of the fired key only, and those registered before the fire only', async () => {
    const wakeups = new Wakeups();
    const a1 = wakeups.expect('a');
    const a2 = wakeups.expect('a');
    const b = wakeups.expect('b');
    wakeups.fire('a');
    const late = wakeups.expect('a');
    expect(await settled(a1.fired)).toBe(true);
    expect(await settled(a2.fired)).toBe(true);
    expect(await settled(b.fired)).toBe(false);
    expect(await settled(late.fired)).toBe(false);
    b.cancel();
    late.cancel();
    expect(wakeups.size).toBe(0);
  });

  it('leaves nothing behind after any sequence of waits, fires and cancels', () => {
    type Op = { kind: 'expect' | 'fire'; key: number } | { kind: 'cancel'; index: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom('expect' as const, 'fire' as const), key: fc.nat(3) }),
      fc.record({ kind: fc.constant('cancel' as const), index: fc.nat(20) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const wakeups = new Wakeups();
        const waits: Array<{ key: number; cancel: () => void; cancelled: boolean; fired: boolean }> = [];
        for (const o of ops) {
          if (o.kind === 'expect') {
            const w = wakeups.expect(String(o.key));
            waits.push({ key: o.key, cancel: w.cancel, cancelled: false, fired: false });
          } else if (o.kind === 'fire') {
            wakeups.fire(String(o.key));
            for (const w of waits) if (w.key === o.key && !w.cancelled) w.fired = true;
          } else if (o.kind === 'cancel' && waits.length > 0) {
            const w = waits[o.index % waits.length]!;
            w.cancel();
            w.cancelled = true;
          }
          const waitingKeys = new Set(waits.filter((w) => !w.cancelled && !w.fired).map((w) => w.key));
          expect(wakeups.size).toBe(waitingKeys.size);
        }
        for (const w of waits) w.cancel();
        expect(wakeups.size).toBe(0);
      }),
    );
  });
});
