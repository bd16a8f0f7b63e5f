import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from the module `<directory>/<moduleName>`, in compiled JS or in TypeScript (callers pass
 * their own `__dirname`, so the worker sits next to the code that starts it).
 *
 *  - In the app, `tsc` compiles adapters/ to dist/ (CommonJS); the caller is then under `…/dist/adapters/` and the
 *    worker `<name>.js` next to it: it is started directly.
 *  - Under vitest the sources run as TypeScript (the caller is a `.ts` file) and no `.js` exists next to it.
 *    A worker thread is a fresh Node runtime that vitest does not transform, so we start it with a small plain-JS
 *    bootstrap that registers a `.ts` loader (typescript.transpileModule → CommonJS, per file, no type checking)
 *    and then requires `<name>.ts`. The worker therefore runs the CURRENT sources, never a stale dist/ build.
 *    `typescript` is a devDependency: this branch is only taken where sources are TypeScript, i.e. in development.
 *
 * Resolution is by the caller's `__dirname`, so it works wherever dist/ is deployed and from any working directory.
 */
export function startWorker(directory: string, moduleName: string, workerData: unknown): Worker {
  const compiled = path.join(directory, `${moduleName}.js`);
  if (fs.existsSync(compiled)) return new Worker(compiled, { workerData });
  const source = path.join(directory, `${moduleName}.ts`);
  if (!fs.existsSync(source)) throw new Error(`worker module ${moduleName} not found in ${directory}`);
  const typescript = require.resolve('typescript');
  return new Worker(typeScriptBootstrap, {
    eval: true,
    workerData: { __bootstrap: { typescript, source }, workerData },
  });
}

/**
 * Plain JS, evaluated in the worker: installs the `.ts` require hook, restores the caller's workerData for the
 * worker module (which reads `require('node:worker_threads').workerData`), then loads it.
 */
const typeScriptBootstrap = `
const wt = require('node:worker_threads');
const fs = require('node:fs');
const Module = require('node:module');
const { typescript, source } = wt.workerData.__bootstrap;
const ts = require(typescript);
const options = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  sourceMap: false,
  inlineSourceMap: true,
};
Module._extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename });
  module._compile(outputText, filename);
};
Object.defineProperty(wt, 'workerData', { value: wt.workerData.workerData });
require(source);
`;
