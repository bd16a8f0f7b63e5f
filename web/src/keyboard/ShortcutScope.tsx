import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ShortcutsOverlay, type ShortcutLine } from './ShortcutsOverlay';
import { isTypingTarget } from './typing';

/**
 * A page's keyboard shortcut: `keys` is one key (`n`, `/`) or a two-key sequence (`g d`: g, then d within a moment),
 * as the `?` overlay shows it. `matches` widens a line to several keys (`1–9`); without `run` it is listed only
 * (keys the browser or a dialog already handles, such as Escape).
 */
export interface Shortcut extends ShortcutLine {
  run?: (key: string) => void;
  matches?: (key: string) => boolean;
}

interface Registry {
  groups: Map<number, Shortcut[]>;
  nextId: number;
}

const RegistryContext = createContext<Registry | undefined>(undefined);

/** How long after `g` the second key of a sequence is awaited. */
const sequenceMs = 1500;

/**
 * Registers shortcuts while the calling component is shown. Called on every render, so each key runs the handler of
 * the latest render (its current data), without re-subscribing. Outside a ShortcutScope it does nothing.
 */
export function useShortcuts(shortcuts: Shortcut[]): void {
  const registry = useContext(RegistryContext);
  const id = useRef<number | undefined>(undefined);
  if (registry && id.current === undefined) id.current = registry.nextId++;
  if (registry) registry.groups.set(id.current!, shortcuts);
  useEffect(() => () => void registry?.groups.delete(id.current!), [registry]);
}

/** The first field of the page's main area a user can type in or choose from. */
function firstField(): HTMLElement | undefined {
  const fields = document.querySelectorAll<HTMLElement>(
    'main input:not([type=hidden]):not(:disabled), main select:not(:disabled), main textarea:not(:disabled)',
  );
  return fields[0];
}

/**
 * One keyboard listener for the pages inside it (My projects, the console): the pages' shortcuts plus `?` (this
 * list), `/` (focus the first field) and Escape. Keys never fire while the user types in a field, holds Ctrl, Alt or
 * Meta (browser shortcuts stay the browser's), or while a dialog is open (it has its own keys).
 */
export function ShortcutScope(props: { children: ComponentChildren }) {
  const registry = useRef<Registry>({ groups: new Map(), nextId: 0 }).current;
  const [overlay, setOverlay] = useState(false);
  const pending = useRef<{ key: string; at: number } | undefined>(undefined);

  const builtIn: Shortcut[] = [
    { keys: '/', action: 'Focus the first field of the page', run: () => firstField()?.focus() },
    { keys: '?', action: 'Show this list', run: () => setOverlay(true) },
    { keys: 'Escape', action: 'Close this list or a dialog' },
  ];
  const all = () => [...[...registry.groups.values()].flat(), ...builtIn];
  const allRef = useRef(all);
  allRef.current = all;

  useEffect(() => {
    const down = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
      if (isTypingTarget(e.target) || document.querySelector('dialog[open]')) return;
      const shortcuts = allRef.current().filter((s) => s.run);
      const first = pending.current && Date.now() - pending.current.at < sequenceMs ? pending.current.key : undefined;
      pending.current = undefined;
      const keys = first ? `${first} ${e.key}` : e.key;
      const hit = shortcuts.find((s) => s.keys === keys || (!first && s.matches?.(e.key)));
      if (hit) {
        e.preventDefault();
        hit.run!(e.key);
        return;
      }
      if (!first && shortcuts.some((s) => s.keys.startsWith(`${e.key} `))) {
        e.preventDefault();
        pending.current = { key: e.key, at: Date.now() };
      }
    };
    window.addEventListener('keydown', down);
    return () => window.removeEventListener('keydown', down);
  }, []);

  return (
    <RegistryContext.Provider value={registry}>
      <button type="button" class="help shortcuts-button" onClick={() => setOverlay(true)}>
        Shortcuts <kbd>?</kbd>
      </button>
      {props.children}
      {overlay && <ShortcutsOverlay shortcuts={all()} onClose={() => setOverlay(false)} />}
    </RegistryContext.Provider>
  );
}
