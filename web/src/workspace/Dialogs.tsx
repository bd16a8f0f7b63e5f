import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { shortcuts } from './shortcuts';

/** A modal dialog on the native <dialog> element: focus moves in, Escape closes it. */
export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    return () => dialog.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="modal"
      aria-labelledby="modal-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id="modal-title">{props.title}</h2>
      {props.children}
    </dialog>
  );
}

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
  return (
    <Modal title="Keyboard shortcuts" onClose={props.onClose}>
      <table class="shortcuts">
        <thead>
          <tr>
            <th scope="col">Keys</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {shortcuts.map((s) => (
            <tr key={s.keys}>
              <td>
                <kbd>{s.keys}</kbd>
              </td>
              <td>{s.action}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" autofocus onClick={props.onClose}>
        Close
      </button>
    </Modal>
  );
}
