#!/usr/bin/env node
// Makes sure the browser the web UI tests drive is installed: Debian's `chromium` package (playwright-core downloads
// no browser of its own). `npm test` runs this before vitest, so a clean machine or CI gets it by itself.
//
//   node scripts/ensure-chromium.mjs        CHROMIUM_PATH overrides the path (default /usr/bin/chromium)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function run(command, args) {
  process.stdout.write(`[ensure-chromium] ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

if (!existsSync(chromiumPath)) {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/apt-get')) {
    process.stderr.write(
      `[ensure-chromium] ${chromiumPath} is missing and this is not a Debian-like system: install Chromium and set ` +
        'CHROMIUM_PATH to its executable.\n',
    );
    process.exit(1);
  }
  // Root installs directly (CI, containers); anyone else through sudo without a password prompt.
  const prefix = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const apt = (args) =>
    prefix.length ? run(prefix[0], [...prefix.slice(1), 'apt-get', ...args]) : run('apt-get', args);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', 'chromium']);
  if (!existsSync(chromiumPath)) {
    process.stderr.write(`[ensure-chromium] chromium was installed but ${chromiumPath} does not exist.\n`);
    process.exit(1);
  }
}
process.stdout.write(`[ensure-chromium] using ${chromiumPath}\n`);
