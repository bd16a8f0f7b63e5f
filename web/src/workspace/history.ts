/** Undo/redo over immutable snapshots: each edit pushes the state before it. */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

export const historyOf = <T>(present: T): History<T> => ({ past: [], present, future: [] });

export function edit<T>(h: History<T>, next: T): History<T> {
  if (next === h.present) return h;
  return { past: [...h.past.slice(-199), h.present], present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  const previous = h.past[h.past.length - 1];
  if (previous === undefined) return h;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const next = h.future[0];
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: h.future.slice(1) };
}
