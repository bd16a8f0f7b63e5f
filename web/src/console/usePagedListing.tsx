import { useState } from 'preact/hooks';
import { useShortcuts } from '../keyboard/ShortcutScope';
import { usePolling, type Loaded } from './usePolling';

export interface Listing<T> {
  items: T[];
  continuationToken?: string;
}

/** Page sizes the pager offers (the listing takes 1–500). */
export const pageSizes = [5, 20, 100] as const;

/**
 * One page of a listing that pages with `continuationToken` (the orchestrations listing), read again every
 * `everyMs`. The tokens of the pages before are kept, so "Previous" goes back without the server knowing offsets;
 * `[` and `]` page as the buttons do.
 */
export function usePagedListing<T>(path: string, everyMs: number, initialSize: number = pageSizes[2]) {
  const [size, setSize] = useState(initialSize);
  // tokens[i] opens page i + 2; the first page has none.
  const [tokens, setTokens] = useState<string[]>([]);
  const join = path.includes('?') ? '&' : '?';
  const token = tokens[tokens.length - 1];
  const list: Loaded<Listing<T>> = usePolling<Listing<T>>(
    `${path}${join}limit=${size}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
    everyMs,
  );
  const next = list.data?.continuationToken;
  const goNext = () => next && setTokens([...tokens, next]);
  const goPrevious = () => tokens.length && setTokens(tokens.slice(0, -1));
  useShortcuts([
    { keys: ']', action: 'Next page of the list', run: goNext },
    { keys: '[', action: 'Previous page of the list', run: goPrevious },
  ]);

  const pager = (what: string) => (
    <div class="pager" role="group" aria-label={`Pages of ${what}`}>
      <button type="button" disabled={!tokens.length} onClick={goPrevious}>
        Previous page
      </button>
      <span class="meta" aria-live="polite">
        Page {tokens.length + 1}
        {next ? ', more after it' : tokens.length ? ', the last' : ''}
      </span>
      <button type="button" disabled={!next} onClick={goNext}>
        Next page
      </button>
      <label for={`per-page-${what}`}>Per page</label>
      <select
        id={`per-page-${what}`}
        value={size}
        onChange={(e) => {
          setSize(Number(e.currentTarget.value));
          setTokens([]);
        }}
      >
        {pageSizes.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </div>
  );
  return { list, pager, page: tokens.length + 1 };
}
