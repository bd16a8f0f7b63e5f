import { Modal } from '../keyboard/Modal';
import { ShortcutsOverlay } from '../keyboard/ShortcutsOverlay';
import { shortcuts } from './shortcuts';

// Re-exported: the workspace's dialogs used to define it here.
export { Modal };

export const skipReasons = [
  { reason: 'noObjects', text: 'Nothing to label in this image' },
  { reason: 'badImage', text: 'The image is broken or unreadable' },
  { reason: 'unsure', text: 'I am not sure how to label it' },
] as const;
export type SkipReason = (typeof skipReasons)[number]['reason'];

export function SkipDialog(props: { onSkip: (reason: SkipReason) => void; onClose: () => void }) {
  const onKeyDown = (e: KeyboardEvent) => {
    const i = Number(e.key) - 1;
    if (Number.isInteger(i) && skipReasons[i]) {
      e.preventDefault();
      props.onSkip(skipReasons[i].reason);
    }
  };
  return (
    <Modal title="Skip this image" onClose={props.onClose}>
      <div onKeyDown={onKeyDown}>
        <p>Why? (keys 1–3)</p>
        <ul class="choices">
          {skipReasons.map((r, i) => (
            <li key={r.reason}>
              <button type="button" autofocus={i === 0} onClick={() => props.onSkip(r.reason)}>
                <kbd>{i + 1}</kbd> {r.text}
              </button>
            </li>
          ))}
        </ul>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

export function HelpOverlay(props: { onClose: () => void }) {
  return <ShortcutsOverlay shortcuts={shortcuts} onClose={props.onClose} />;
}
