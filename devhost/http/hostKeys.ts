import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Host keys as the Functions host keeps them: the master key (admin level, works everywhere), system keys for
 * extensions' webhooks, and function keys (accepted by every function with authLevel "function").
 */
export interface HostKeys {
  masterKey: string;
  systemKeys: { durabletask_extension: string; eventgrid_extension: string } & Record<string, string>;
  functionKeys: Record<string, string>;
}

function newKey(): string {
  return randomBytes(32).toString('base64url');
}

export function loadOrCreateHostKeys(dataDir: string): HostKeys {
  const file = path.join(dataDir, 'host-keys.json');
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as Partial<HostKeys>;
    if (!keys.masterKey || !keys.systemKeys?.durabletask_extension || !keys.systemKeys?.eventgrid_extension) {
      throw new Error(`${file} must contain masterKey and systemKeys.durabletask_extension/eventgrid_extension.`);
    }
    return { masterKey: keys.masterKey, systemKeys: keys.systemKeys, functionKeys: keys.functionKeys ?? {} };
  }
  const keys: HostKeys = {
    masterKey: newKey(),
    systemKeys: { durabletask_extension: newKey(), eventgrid_extension: newKey() },
    functionKeys: { default: newKey() },
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
  return keys;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key a caller presented: `x-functions-key` header first, then the `code` query parameter. */
export function presentedKey(headers: Record<string, string | string[] | undefined>, query: URLSearchParams) {
  const header = headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader || query.get('code') || undefined;
}

export type AuthLevel = 'anonymous' | 'function' | 'admin' | 'system';

/** Whether `key` satisfies `level`; system level names the extension whose key is accepted. */
export function isAuthorized(keys: HostKeys, level: AuthLevel, key: string | undefined, systemKey?: string): boolean {
  if (level === 'anonymous') return true;
  if (!key) return false;
  if (same(key, keys.masterKey)) return true;
  if (level === 'admin') return false;
  if (level === 'system') return systemKey !== undefined && same(key, keys.systemKeys[systemKey] ?? '');
  return Object.values(keys.functionKeys).some((k) => same(key, k));
}
