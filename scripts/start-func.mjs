#!/usr/bin/env node
// `npm run start:func`: runs the built app under Azure Functions Core Tools (`func start`) instead of devhost,
// for people who have Core Tools installed. Starts Azurite first, because `AzureWebJobsStorage` in
// local.settings.json is `UseDevelopmentStorage=true` and the Durable extension's default (Azure Storage) provider
// needs blobs, queues and tables on the standard ports 10000-10002.
// Extra arguments go to `func start`, e.g. `npm run start:func -- --port 7072`.
import { spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const azuritePorts = { blob: 10000, queue: 10001, table: 10002 };
/** The Azurite child this script started, if any; stopped whenever the script ends. */
let azurite;

function stopAzurite() {
  if (azurite && azurite.exitCode === null && azurite.signalCode === null) azurite.kill('SIGTERM');
}

function log(message) {
  process.stdout.write(`[start:func] ${message}\n`);
}

/** The full path of `command` on PATH (honouring PATHEXT on Windows), or undefined. */
function findOnPath(command) {
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = path.join(dir, command + ext.toLowerCase());
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

function portInUse(port) {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPorts(ports, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode} before it was ready.`);
    const open = await Promise.all(ports.map(portInUse));
    if (open.every(Boolean)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Azurite did not open ports ${ports.join(', ')} within ${timeoutMs / 1000} s.`);
}

async function main() {
  const func = findOnPath('func');
  if (!func) {
    process.stderr.write(
      [
        'Azure Functions Core Tools (`func`) is not on your PATH, so `npm run start:func` cannot run.',
        '  - Install Core Tools v4: https://learn.microsoft.com/azure/azure-functions/functions-run-local',
        '  - Or run the same build on devhost, which needs nothing else: `npm start`',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  if (!existsSync(path.join(root, 'dist', 'functions'))) {
    throw new Error('dist/functions does not exist: run `npm run build` first (`npm run start:func` does).');
  }
  const settings = path.join(root, 'local.settings.json');
  if (!existsSync(settings)) {
    copyFileSync(path.join(root, 'local.settings.example.json'), settings);
    log('Created local.settings.json from local.settings.example.json (it is git-ignored; edit it freely).');
  }

  const ports = Object.values(azuritePorts);
  const inUse = await Promise.all(ports.map(portInUse));
  if (inUse.every(Boolean)) {
    log(`Ports ${ports.join(', ')} are already open; assuming Azurite (or the storage emulator) is running there.`);
  } else if (inUse.some(Boolean)) {
    throw new Error(
      `Some of the Azurite ports ${ports.join(', ')} are taken by another process; free them and try again.`,
    );
  } else {
    const location = path.join(path.resolve(root, process.env.DATA_DIR || '.data'), 'azurite');
    mkdirSync(location, { recursive: true });
    const bin = path.join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
    log(
      `Starting Azurite (blob ${azuritePorts.blob}, queue ${azuritePorts.queue}, table ${azuritePorts.table}) in ${location}`,
    );
    azurite = spawn(
      process.execPath,
      [bin, '--silent', '--skipApiVersionCheck', '--disableTelemetry', '--location', location],
      {
        cwd: root,
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    await waitForPorts(ports, azurite, 30_000);
  }

  log(`Running ${func} start ${process.argv.slice(2).join(' ')}`.trimEnd());
  const child = spawn(func, ['start', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });

  // Ctrl+C reaches both children through the terminal's process group; forward SIGTERM ourselves.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {
    child.kill('SIGTERM');
    stopAzurite();
  });
  child.once('error', (err) => {
    process.stderr.write(`[start:func] Could not run func: ${err.message}\n`);
    stopAzurite();
    process.exitCode = 1;
  });
  child.once('exit', (code, signal) => {
    stopAzurite();
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

main().catch((err) => {
  stopAzurite();
  process.stderr.write(`[start:func] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
