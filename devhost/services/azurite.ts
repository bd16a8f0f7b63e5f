import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../core/logger';

export interface RunningAzurite {
  connectionString: string;
  blobEndpoint: string;
  accountName: string;
  stop(): Promise<void>;
}

export interface AzuriteOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
}

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Runs inside the Azurite child before its own entry point. Azurite has no notion of a parent, so a devhost that
 * is SIGKILLed (or crashes) would leave it running and holding the port. The child's stdin is a pipe from devhost:
 * the kernel closes it whenever devhost dies, however it dies, and that EOF is our signal to shut down the way
 * Azurite does on SIGTERM (which also flushes its metadata database).
 */
const PARENT_WATCHDOG = `
const parentPid = process.ppid;
let leaving = false;
const stopWatching = () => {
  leaving = true;
  process.stdin.destroy();
};
const leave = () => {
  if (leaving) return;
  stopWatching();
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(0), 5000).unref();
};
process.stdin.on('end', leave).on('error', leave).resume();
process.once('SIGTERM', stopWatching);
process.once('SIGINT', stopWatching);
setInterval(() => { try { process.kill(parentPid, 0); } catch { leave(); } }, 1000).unref();
require(process.argv[1]);
`;

function azuriteBlobBin(): string {
  // The package's main entry requires vscode, so locate the azurite-blob bin through its package.json instead.
  const pkgFile = require.resolve('azurite/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> };
  return path.resolve(path.dirname(pkgFile), pkg.bin['azurite-blob']!);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, HOST, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the Azurite blob service as a child process persisting under `<dataDir>/azurite`. */
export async function startAzurite(opts: AzuriteOptions): Promise<RunningAzurite> {
  const port = opts.port === 0 ? await freePort() : opts.port;
  // Otherwise a foreign listener (say, a standalone Azurite) would pass our readiness probe while ours fails to bind.
  if (await canConnect(port)) {
    throw new Error(`Port ${port} is already in use; set AZURITE_BLOB_PORT to a free port (0 picks one).`);
  }
  const location = path.join(opts.dataDir, 'azurite');
  mkdirSync(location, { recursive: true });
  const args = [
    ...['--location', location, '--blobHost', HOST, '--blobPort', String(port)],
    ...['--silent', '--skipApiVersionCheck', '--loose'],
    // Telemetry would try to reach the internet on every start; there is none here and it is not ours to send.
    '--disableTelemetry',
  ];
  const child = spawn(process.execPath, ['-e', PARENT_WATCHDOG, azuriteBlobBin(), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let recentOutput = '';
  const remember = (chunk: Buffer) => {
    recentOutput = (recentOutput + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', remember);
  child.stderr!.on('data', (chunk: Buffer) => {
    remember(chunk);
    opts.logger.warn(`azurite: ${chunk.toString().trimEnd()}`);
  });
  const exited = exitOf(child);
  // Belt and braces for a normal exit of devhost that skipped stop(): the watchdog covers crashes.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener('exit', killOnExit);
      throw new Error(`Azurite exited (${child.exitCode ?? child.signalCode}) before listening:\n${recentOutput}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      process.removeListener('exit', killOnExit);
      throw new Error(`Azurite did not listen on ${HOST}:${port} within ${START_TIMEOUT_MS} ms:\n${recentOutput}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const blobEndpoint = `http://${HOST}:${port}/${DEV_ACCOUNT_NAME}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};` +
    `BlobEndpoint=${blobEndpoint};`;
  opts.logger.info(`Azurite blob service listening on ${HOST}:${port} (data in ${location})`);

  let stopping: Promise<void> | undefined;
  return {
    connectionString,
    blobEndpoint,
    accountName: DEV_ACCOUNT_NAME,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return;
        // SIGTERM lets Azurite save its metadata; SIGKILL only if it hangs.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
