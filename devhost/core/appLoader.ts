import { readFileSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';

/** Resolves the app's entry files from package.json `main`, a glob as the worker accepts it. */
export function resolveEntryFiles(appDir: string, mainOverride?: string): string[] {
  let main = mainOverride;
  if (!main) {
    const pkg = JSON.parse(readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main?: string };
    main = pkg.main ?? 'index.js';
  }
  const files = globSync(main, { cwd: appDir, absolute: true, onlyFiles: true }).sort();
  if (files.length === 0) {
    throw new Error(`No app entry files match "${main}" in ${appDir}. Did you run the build?`);
  }
  return files;
}

/** Loads entry files one at a time, as the worker does; registrations happen as a side effect. */
export async function loadEntryFiles(files: string[]): Promise<void> {
  for (const file of files) {
    if (file.endsWith('.mjs')) {
      await import(file);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(file);
    }
  }
}
