/**
 * Cooperative slicing of long synchronous work (claims, recounts, batch views) on the one event loop a Functions
 * worker has: `await nextTurn()` between slices resumes the caller in a later loop iteration, after the I/O that
 * arrived meanwhile (a dashboard request, a submission) has been taken in.
 *
 * Why not `await setImmediate()`: every immediate queued before the check phase runs in that phase, back to back,
 * so twenty labelers' allocations yielding at once ran twenty slices (~60 ms) between two looks at the sockets.
 * Here waiters resume one per loop iteration, first come first served, so a request waits behind at most one slice
 * of this work per step it takes. Work that never waits costs nothing; throughput is unchanged when the loop has
 * nothing else to do (an iteration without pending I/O is a few microseconds).
 */
const waiting: Array<() => void> = [];
let pumping = false;

function resumeOne(): void {
  waiting.shift()?.();
  // Queued from inside the check phase, this runs in the next iteration, after its poll phase.
  if (waiting.length > 0) setImmediate(resumeOne);
  else pumping = false;
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(resumeOne);
    }
  });
}
