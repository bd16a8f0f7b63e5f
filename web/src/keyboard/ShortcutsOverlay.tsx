import { Modal } from './Modal';

export interface ShortcutLine {
  keys: string;
  action: string;
}

/** The `?` overlay: every shortcut of the page and what it does (the workspace's and the console's alike). */
export function ShortcutsOverlay(props: { shortcuts: ReadonlyArray<ShortcutLine>; onClose: () => void }) {
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
          {props.shortcuts.map((s) => (
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
