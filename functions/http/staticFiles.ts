import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Content types of the files a Vite build emits (anything else is served as bytes). */
const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return contentTypes[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` a URL path names, or undefined when the path could leave `root` (`..`, backslashes, NUL,
 * absolute paths after decoding). The catch-all route hands the path already decoded.
 */
export function resolveUnder(root: string, urlPath: string): string | undefined {
  if (/[\\\0]/.test(urlPath)) return undefined;
  const segments = urlPath.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '.' || s === '..')) return undefined;
  const file = path.resolve(root, ...segments);
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Reads a regular file, or undefined when there is none (a folder, a missing file). */
export async function readStaticFile(file: string): Promise<StaticFile | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return { body: await readFile(file), contentType: contentTypeOf(file) };
  } catch {
    return undefined;
  }
}
