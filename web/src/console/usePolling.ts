import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api';

export interface Loaded<T> {
  data?: T;
  error?: string;
  /** Reads again now (after an action changed what the page shows). */
  reload: () => void;
}

/**
 * GETs `path` and again every `everyMs` while the page is shown (backfills, runs and exports move on by themselves).
 * A failed re-read keeps the last figures on screen with the error beside them.
 */
export function usePolling<T>(path: string, everyMs = 5000, keepPolling: (data: T) => boolean = () => true): Loaded<T> {
  // Kept with the path it answers: after the path changes (the next page of a listing), the old answer is not shown
  // as the new one's.
  const [answer, setAnswer] = useState<{ path: string; data: T } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      timer = setTimeout(() => live && setTick((t) => t + 1), everyMs);
    };
    api<T>('GET', path).then(
      (res) => {
        if (!live) return;
        setAnswer({ path, data: res.body });
        setError(undefined);
        if (keepPolling(res.body)) again();
      },
      (err: Error) => {
        if (!live) return;
        setError(err.message);
        again();
      },
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // keepPolling is read when each answer arrives: a new function each render must not restart the reads.
  }, [path, tick, everyMs]);
  return { data: answer?.path === path ? answer.data : undefined, error, reload };
}
