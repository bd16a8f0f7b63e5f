import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The deployment package as azd receives it: scripts/package-app.mjs (the `prepackage` hook of service `api`) run
 * into a temporary folder, with a real `npm ci --omit=dev` from the registry. The folder is outside the repository so
 * that Node's module resolution cannot fall back to the developer's node_modules. Needs a built dist/ (`npm run
 * build`, which `npm test` runs first); the script is run with --skip-build so this file never rewrites dist/ under
 * other test files.
 */

const root = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
const nativeRequire = createRequire(__filename);

let out = '';
let tmp = '';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(file) : [file];
  });
}

const rel = (file: string) => path.relative(out, file).split(path.sep).join('/');
const inside = (dir: string, file: string) => !path.relative(dir, file).startsWith('..');

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'deploy-package-'));
  out = path.join(tmp, 'api');
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'scripts/package-app.mjs'), '--out', out, '--skip-build'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) throw new Error(`package-app.mjs failed:\n${result.stdout}\n${result.stderr}`);
}, 240_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('deploy package (scripts/package-app.mjs)', () => {
  it('is what azure.yaml tells azd to zip: dist: is the script output, built by the prepackage hook', () => {
    const yaml = read('azure.yaml').replace(/#.*$/gm, '');
    expect(yaml).toMatch(/\n {4}dist: \.azure\/package\/api\s*\n/);
    expect(yaml).toMatch(/\n {4}remoteBuild: false\s*\n/);
    expect(yaml).toMatch(/\n {4}hooks:\s*\n {6}prepackage:\s*\n/);
    expect(yaml.match(/run: node scripts\/package-app\.mjs\s*\n/g)).toHaveLength(2); // posix and windows
    expect(read('scripts/package-app.mjs')).toContain("path.join(root, '.azure', 'package', 'api')");
  });

  it('holds the entry files package.json main names, one per registration source file, and host.json', () => {
    const entries = globSync(packageJson.main, { cwd: out }).sort();
    const sources = ['functions', 'orchestrations']
      .flatMap((folder) => globSync(`${folder}/*.ts`, { cwd: root }))
      .map((file) => `dist/${file.replace(/\.ts$/, '.js')}`)
      .sort();
    expect(sources.length).toBeGreaterThan(20);
    expect(entries).toEqual(sources);
    expect(readFileSync(path.join(out, 'host.json'), 'utf8')).toBe(read('host.json'));
    expect(readFileSync(path.join(out, 'package.json'), 'utf8')).toBe(read('package.json'));
  });

  it('has no sources, source maps, tests, devhost, bench or scripts, and only the app folders at the top', () => {
    expect(readdirSync(out).sort()).toEqual(
      [
        '.funcignore',
        'adapters',
        'dist',
        'host.json',
        'node_modules',
        'package-lock.json',
        'package.json',
        'web',
      ].sort(),
    );
    expect(readdirSync(path.join(out, 'dist')).sort()).toEqual(['adapters', 'functions', 'orchestrations', 'shared']);
    const files = filesUnder(out).map(rel);
    expect(files.filter((f) => /\.(ts|mts|cts|map)$/.test(f))).toEqual([]);
    expect(
      files.filter((f) => /(^|\/)(tests|devhost|bench|scripts)\//.test(f) && !f.startsWith('node_modules/')),
    ).toEqual([]);
    expect(
      files.filter((f) => !f.startsWith('node_modules/') && !f.startsWith('dist/') && !f.startsWith('web/dist/')),
    ).toEqual([
      '.funcignore',
      'adapters/training/azureml/scoring/score.py',
      'host.json',
      'package-lock.json',
      'package.json',
    ]);
    // azd zips the folder as its .funcignore says: this one must leave nothing out.
    const ignoreRules = readFileSync(path.join(out, '.funcignore'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(ignoreRules).toEqual([]);
  });

  it('holds the built web app where functions/webApp.ts looks for it, without source maps', () => {
    const webFiles = filesUnder(path.join(out, 'web')).map(rel).sort();
    const built = filesUnder(path.join(root, 'web', 'dist'))
      .map(
        (f) =>
          `web/dist/${path
            .relative(path.join(root, 'web', 'dist'), f)
            .split(path.sep)
            .join('/')}`,
      )
      .filter((f) => !f.endsWith('.map'))
      .sort();
    expect(webFiles).toEqual(built);
    expect(webFiles).toContain('web/dist/index.html');
    // dist/functions/webApp.js resolves ../../web/dist from its own folder.
    expect(existsSync(path.join(out, 'dist', 'functions', 'webApp.js'))).toBe(true);
    expect(path.resolve(out, 'dist', 'functions', '..', '..', 'web', 'dist')).toBe(path.join(out, 'web', 'dist'));
  });

  it('installs no devDependency, except one a production dependency needs too', () => {
    const installed = readdirSync(path.join(out, 'node_modules')).flatMap((name) =>
      name.startsWith('@') ? readdirSync(path.join(out, 'node_modules', name)).map((n) => `${name}/${n}`) : [name],
    );
    const devOnly = installed.filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
    expect(devOnly).toEqual([]);
    for (const name of Object.keys(packageJson.devDependencies)) {
      if (lock.packages[`node_modules/${name}`]?.dev === true) expect(installed, name).not.toContain(name);
    }
    for (const name of ['typescript', 'vitest', 'azurite', '@vercel/cosmosdb-server', 'eslint', 'prettier'])
      expect(installed).not.toContain(name);
    for (const name of Object.keys(packageJson.dependencies)) expect(installed).toContain(name);
  });

  it('resolves every require of the compiled app inside the package, and loads the entries and what they require', () => {
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const missing: string[] = [];
    /** Each package the app requires, with a file requiring it. */
    const packages = new Map<string, string>();
    const entries = globSync(packageJson.main, { cwd: out, absolute: true });
    // Every compiled file, not only what the entries require: the training runner and its workers are started by path.
    const queue = filesUnder(path.join(out, 'dist')).filter((f) => f.endsWith('.js'));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      if (!file.endsWith('.js')) continue;
      const requireFrom = createRequire(file);
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/\brequire\(["']([^"']+)["']\)/g)) {
        if (spec!.startsWith('node:') || builtins.has(spec!)) continue;
        let resolved: string;
        try {
          resolved = requireFrom.resolve(spec!);
        } catch {
          missing.push(`${rel(file)} → ${spec}`);
          continue;
        }
        if (!inside(out, resolved)) missing.push(`${rel(file)} → ${spec} (${resolved}, outside the package)`);
        else if (spec!.startsWith('.')) queue.push(resolved);
        else packages.set(spec!, file);
      }
    }
    expect(missing).toEqual([]);
    expect(seen.size).toBeGreaterThan(100);
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['@tensorflow/tfjs', 'sharp', 'durable-functions']));

    // Resolving is not loading: a package can require one it does not declare (@tensorflow/tfjs requires `long`,
    // tensorflow/tfjs#6841), found in the development tree only because a dev dependency hoisted it. So a separate
    // Node, in the package, loads every entry (@azure/functions skips registration outside the host) and every
    // package the app requires, as the app would require it.
    const loader = `
      const { createRequire } = require('node:module');
      const failures = [];
      for (const [from, spec] of JSON.parse(process.argv[1])) {
        try { createRequire(from)(spec); } catch (error) { failures.push(spec + ': ' + String(error.message).split('\\n')[0]); }
      }
      process.stdout.write('\\n' + JSON.stringify(failures) + '\\n');
    `;
    const requests = [...entries.map((file) => [file, file]), ...[...packages].map(([spec, file]) => [file, spec])];
    const result = spawnSync(process.execPath, ['-e', loader, JSON.stringify(requests)], {
      cwd: out,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout.trim().split('\n').pop()!)).toEqual([]);
  });

  it('carries the Azure ML scoring script where scoringScript() looks for it from dist/', () => {
    const staged = nativeRequire(path.join(out, 'dist/adapters/training/azureml/scoringScript.js')) as {
      scoringScript: () => string;
    };
    expect(staged.scoringScript()).toBe(read('adapters/training/azureml/scoring/score.py'));
  });

  it("carries tfjs's wasm binaries where wasmBinaryFolder() finds them", () => {
    const staged = nativeRequire(path.join(out, 'dist/adapters/training/local/wasmBackend.js')) as {
      wasmBinaryFolder: () => string;
    };
    const folder = staged.wasmBinaryFolder();
    expect(inside(out, folder)).toBe(true);
    const wasm = readdirSync(folder).filter((f) => f.endsWith('.wasm'));
    expect(wasm.sort()).toEqual([
      'tfjs-backend-wasm-simd.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm',
      'tfjs-backend-wasm.wasm',
    ]);
    for (const file of wasm) expect(statSync(path.join(folder, file)).size).toBeGreaterThan(100_000);
  });

  it("carries sharp's Linux x64 glibc binaries and no other platform's", () => {
    const img = readdirSync(path.join(out, 'node_modules/@img')).sort();
    expect(img).toEqual(['colour', 'sharp-libvips-linux-x64', 'sharp-linux-x64']);
    if (process.platform === 'linux' && process.arch === 'x64') {
      const sharp = nativeRequire(path.join(out, 'node_modules/sharp')) as { versions: Record<string, string> };
      expect(sharp.versions.vips).toBeTruthy();
    }
    // better-sqlite3 (the local SQLite store only) is installed without its native build, which Azure never loads.
    expect(existsSync(path.join(out, 'node_modules/better-sqlite3/build'))).toBe(false);
  });
});
