import { useState } from 'preact/hooks';
import { api, projectPath } from '../api';
import { useShortcuts } from '../keyboard/ShortcutScope';
import type { Member } from './consoleTypes';
import { usePolling } from './usePolling';

/** The project's members: add a user id as labeler or admin, remove one. */
export function MembersPage(props: { projectId: string }) {
  const base = `${projectPath(props.projectId)}/members`;
  const members = usePolling<{ items: Member[] }>(base, 30_000);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Member['role']>('labeler');
  const [message, setMessage] = useState<{ text: string; failed: boolean } | undefined>(undefined);
  useShortcuts([
    { keys: 'r', action: 'Read the members again', run: members.reload },
    { keys: 'Enter (in the user id)', action: 'Add the member' },
  ]);

  const change = async (what: string, method: string, id: string, body?: unknown) => {
    setMessage(undefined);
    try {
      await api(method, `${base}/${encodeURIComponent(id)}`, body === undefined ? {} : { body });
      setMessage({ text: what, failed: false });
      if (method === 'PUT') setUserId('');
    } catch (err) {
      setMessage({ text: `${what} was refused: ${(err as Error).message}`, failed: true });
    }
    members.reload();
  };

  return (
    <div>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void change(`${userId} added as ${role}`, 'PUT', userId.trim(), { role });
        }}
      >
        <label for="m-user">User id</label>
        <input id="m-user" value={userId} onInput={(e) => setUserId(e.currentTarget.value)} />
        <label for="m-role">Role</label>
        <select id="m-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Member['role'])}>
          <option value="labeler">labeler</option>
          <option value="admin">admin</option>
        </select>
        <button type="submit" class="primary" disabled={!userId.trim()}>
          Add member
        </button>
      </form>
      <div role="status">{message && <p class={message.failed ? 'refusal' : 'notice'}>{message.text}</p>}</div>
      {members.error && <p role="alert">{members.error}</p>}
      {members.data &&
        (members.data.items.length === 0 ? (
          <p>No members yet: labelers see a project only once they are added here.</p>
        ) : (
          <table>
            <caption>Members</caption>
            <thead>
              <tr>
                <th scope="col">User id</th>
                <th scope="col">Role</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((m) => (
                <tr key={m.userId}>
                  <th scope="row">{m.userId}</th>
                  <td>{m.role}</td>
                  <td>{new Date(m.addedAt).toLocaleString()}</td>
                  <td>
                    <button type="button" onClick={() => change(`${m.userId} removed`, 'DELETE', m.userId)}>
                      Remove <span class="visually-hidden">{m.userId}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </div>
  );
}
