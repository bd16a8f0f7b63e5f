#!/usr/bin/env node
// Assembles the Function App's deployment package in a staging folder: the azd `prepackage` hook of service `api`
// (azure.yaml) runs it, and the service's `dist:` points azd at the result, which azd zips as it is.
//
//   node scripts/package-app.mjs [--out <dir>] [--skip-build]
//
// It runs `npm run build` first (--skip-build: use dist/ as it is): azd runs the build script only after the hook.
// The folder (default .azure/package/api) holds only what the app runs:
//   dist/{functions,orchestrations,shared,adapters}  the compiled app (no source maps; no devhost, tests, bench, scripts)
//   adapters/**                                     the non-TypeScript files of the app's folders, at their source
//                                                   paths (adapters/training/azureml/scoring/score.py, which
//                                                   scoringScript() finds by walking up from dist/)
//   web/dist/                                       the built web app, which functions/webApp.ts serves at the site root
//   host.json, package.json, package-lock.json
//   node_modules/                                   `npm ci --omit=dev` for Linux x64 glibc, what Flex Consumption runs,
//                                                   without source maps, TypeScript files and Markdown
//
// The production install is a fresh one in the staging folder: the developer's node_modules is never touched. It
// targets Linux x64 glibc whatever machine packages it (sharp's documented cross-platform install: npm's --os, --cpu
// and --libc pick @img/sharp-linux-x64 and @img/sharp-libvips-linux-x64 from the lockfile on macOS and Windows too).
// Install scripts are off: no production dependency needs one on Azure. sharp has none (its binaries are those
// optional packages); better-sqlite3's would build or download a binary for the packaging machine, and it serves only
// the local SQLite store (its native addon loads on first `new Database()`, which never happens on Azure); core-js's
// prints a banner.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The folders of the app itself; everything else tsc compiles (devhost, tests, bench, scripts) stays local. */
const appFolders = ['functions', 'orchestrations', 'shared', 'adapters'];
const rootFiles = ['host.json', 'package.json', 'package-lock.json'];
/** Flex Consumption runs Linux on x64 with glibc. */
const target = { os: 'linux', cpu: 'x64', libc: 'glibc' };

function log(message) {
  process.stdout.write(`[package-app] ${message}\n`);
}

function parseArgs(argv) {
  const options = { out: path.join(root, '.azure', 'package', 'api'), build: true };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) options.out = path.resolve(argv[++i]);
    else if (argv[i] === '--skip-build') options.build = false;
    else throw new Error(`unknown argument ${argv[i]} (usage: package-app.mjs [--out <dir>] [--skip-build])`);
  }
  return options;
}

function run(command, args, cwd) {
  log(`${command} ${args.join(' ')} (in ${path.relative(root, cwd) || '.'})`);
  // npm is npm.cmd on Windows, which only a shell runs.
  const result = spawnSync(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
}

function folderBytes(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) bytes += folderBytes(file);
    else if (entry.isFile()) bytes += statSync(file).size;
  }
  return bytes;
}

function packageApp({ out, build }) {
  if (path.resolve(out) === root) throw new Error('--out must not be the project folder');
  if (build) run('npm', ['run', 'build'], root);
  for (const folder of appFolders) {
    if (!existsSync(path.join(root, 'dist', folder))) throw new Error(`dist/${folder} is missing: run npm run build`);
  }

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const folder of appFolders) {
    // The compiled JavaScript, without source maps (tsconfig emits no declarations).
    cpSync(path.join(root, 'dist', folder), path.join(out, 'dist', folder), {
      recursive: true,
      filter: (src) => !src.endsWith('.map'),
    });
    // Whatever the app reads next to its sources that tsc does not emit (the Azure ML scoring script).
    cpSync(path.join(root, folder), path.join(out, folder), {
      recursive: true,
      filter: (src) => statSync(src).isDirectory() || !src.endsWith('.ts'),
    });
  }
  // The web app the catch-all function serves (built by `npm run build`), without source maps.
  if (!existsSync(path.join(root, 'web', 'dist', 'index.html')))
    throw new Error('web/dist is missing: run npm run build');
  cpSync(path.join(root, 'web', 'dist'), path.join(out, 'web', 'dist'), {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
  pruneEmptyFolders(out);
  for (const file of rootFiles) {
    if (existsSync(path.join(root, file))) cpSync(path.join(root, file), path.join(out, file));
  }
  // azd zips the package folder as its own .funcignore says (and leaves that file out). This one excludes nothing:
  // the folder holds exactly the package, node_modules included, whatever remoteBuild's default does without it.
  writeFileSync(
    path.join(out, '.funcignore'),
    '# Written by scripts/package-app.mjs: this folder is the deployment package; nothing in it is left out.\n',
  );

  run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      `--os=${target.os}`,
      `--cpu=${target.cpu}`,
      `--libc=${target.libc}`,
      '--no-audit',
      '--no-fund',
    ],
    out,
  );
  stripDevelopmentFiles(path.join(out, 'node_modules'));
  log(`${path.relative(root, out) || out}: ${(folderBytes(out) / 1e6).toFixed(1)} MB`);
}

/**
 * Deletes what only development reads from the installed packages: source maps (about 200 MB, most of them
 * @tensorflow/tfjs's browser bundles'), TypeScript sources and declarations (Node never loads .ts from node_modules)
 * and Markdown.
 */
function stripDevelopmentFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) stripDevelopmentFiles(file);
    else if (/\.(map|ts|mts|cts|md)$/i.test(entry.name)) rmSync(file);
  }
}

/** Removes folders left empty by the filters above (source folders holding only TypeScript). */
function pruneEmptyFolders(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) pruneEmptyFolders(path.join(dir, entry.name));
  }
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

try {
  packageApp(parseArgs(process.argv.slice(2)));
} catch (error) {
  process.stderr.write(`[package-app] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
