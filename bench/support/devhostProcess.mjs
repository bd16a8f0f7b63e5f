/**
 * Resolves with devhost's base URL once the spawned process prints its `ready at` line (rejects if it exits
 * first), then keeps draining its stdout so a chatty devhost never blocks on a full pipe.
 */
export function waitForReady(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c) => {
      out += c;
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`devhost exited (${code}):\n${out}`)));
  });
}

/**
 * Starts devhost with its embedded Azurite on free ports in a fresh data dir knowing `users`, with `env` added to
 * the environment. Resolves once it is ready, with its URL, Azurite's connection string and a stop that also removes
 * the data dir.
 */
export async function startDevhostWithStorage({ root, users, env = {}, prefix = 'bench-' }) {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  writeFileSync(path.join(dataDir, 'users.json'), JSON.stringify({ users }));
  const child = spawn(process.execPath, ['dist/devhost/cli.js'], {
    cwd: root,
    env: { ...process.env, PORT: '0', AZURITE_BLOB_PORT: '0', DATA_DIR: dataDir, DEVHOST_LOG_INVOCATIONS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  const baseUrl = await waitForReady(child);
  const connectionString = /Azurite blob connection string: (\S+)/.exec(output)?.[1];
  if (!connectionString) throw new Error('devhost did not print its Azurite connection string');
  return {
    baseUrl,
    connectionString,
    dataDir,
    /** The host process (the app runs in it; Azurite is a child of its own). */
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
