import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The labeling web app: built into web/dist, which the Functions app itself serves at the site root
// (functions/webApp.ts), so it shares its origin with the API and App Service Authentication's session cookie.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
});
