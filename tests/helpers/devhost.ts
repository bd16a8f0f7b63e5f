import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface HostKeysFile {
  masterKey: string;
  systemKeys: { durabletask_extension: string; eventgrid_extension: string };
  functionKeys: Record<string, string>;
}

export interface RunningDevhost {
  baseUrl: string;
  dataDir: string;
  keys: HostKeysFile;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves once a line matching `pattern` has been printed. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  process: ChildProcess;
  /** SIGTERM and wait; pass 'SIGKILL' to simulate a crash. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

export interface DevhostOptions {
  /** Entry glob relative to the repo root, e.g. `dist/tests/fixtures/durable/*.js`. Defaults to package.json main. */
  app?: string;
  /** Reuse a data dir (crash-recovery tests restart on the same one). */
  dataDir?: string;
  /** Start Azurite and the blob → Event Grid bridge (default false: faster). */
  services?: boolean;
  env?: Record<string, string>;
  keys?: HostKeysFile;
  startTimeoutMs?: number;
  /** Written to `$DATA_DIR/users.json` before start: the callers devhost's front door accepts as bearer tokens. */
  users?: DevUser[];
}

/** A devhost user (see devhost/http/frontDoor.ts): call the API with `Authorization: Bearer <token>`. */
export interface DevUser {
  id: string;
  name: string;
  roles: string[];
  token: string;
}

export const testKeys: HostKeysFile = {
  masterKey: 'test-master-key',
  systemKeys: { durabletask_extension: 'test-durable-key', eventgrid_extension: 'test-eventgrid-key' },
  functionKeys: { default: 'test-function-key' },
};

/** Starts `node dist/devhost/cli.js` as a real child process on a free port and waits for its ready line. */
export async function startDevhost(options: DevhostOptions = {}): Promise<RunningDevhost> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'devhost-test-'));
  const keys = options.keys ?? testKeys;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path.join(dataDir, 'host-keys.json'), JSON.stringify(keys));
  if (options.users) writeFileSync(path.join(dataDir, 'users.json'), JSON.stringify({ users: options.users }));
  const args = [path.join(repoRoot, 'dist/devhost/cli.js')];
  if (options.app) args.push('--app', options.app);
  if (!options.services) args.push('--no-services');
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      AZURITE_BLOB_PORT: '0',
      DEVHOST_LOG_INVOCATIONS: '0',
      // Training is opt-in for a test: without these, a test that crosses a training threshold would start a
      // minutes-long CPU training run under the rest of the suite. ML Assist tests set their own schedule and size.
      TRAINING_POLL_SCHEDULE: '0 0 0 1 1 *',
      LOCAL_TRAINER_EPOCHS: '2',
      LOCAL_TRAINER_INPUT_SIZE: '64',
      LOCAL_TRAINER_WORKERS: '1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const w of [...waiters]) {
      const m = w.pattern.exec(output);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m[0]);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForOutput = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const m = pattern.exec(output);
      if (m) return resolve(m[0]);
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${pattern} in devhost output:\n${output.slice(-4000)}`)),
        timeoutMs,
      );
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });

  const ready = await Promise.race([
    waitForOutput(/ready at (http:\/\/\S+)/, options.startTimeoutMs ?? 30_000),
    exited.then((code) => {
      throw new Error(`devhost exited with ${code} before it was ready:\n${output}`);
    }),
  ]);
  const baseUrl = /ready at (http:\/\/\S+)/.exec(ready)![1]!;
  return {
    baseUrl,
    dataDir,
    keys,
    output: () => output,
    waitForOutput,
    process: child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    cleanup() {
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
