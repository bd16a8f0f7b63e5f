import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { selfSignedCertificate } from './selfSignedCertificate';

/**
 * Azurite as Azure Storage with Entra ID sign-in: HTTPS with a throwaway self-signed certificate and `--oauth basic`,
 * which checks a bearer token's issuer, audience and lifetime (not its signature) and answers Get User Delegation
 * Key. The identity-based paths (token-authorized calls, user delegation SAS) then run against a real blob service.
 */
export interface OAuthAzurite {
  /** `https://127.0.0.1:<port>/devstoreaccount1`: what `<SETTING>__blobServiceUri` holds. */
  blobServiceUri: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

function azuriteBlobBin(): string {
  const pkgFile = require.resolve('azurite/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> };
  return path.resolve(path.dirname(pkgFile), pkg.bin['azurite-blob']!);
}

export async function startOAuthAzurite(): Promise<OAuthAzurite> {
  const { dir, certFile: cert, keyFile: key } = selfSignedCertificate();
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      azuriteBlobBin(),
      ...['--location', path.join(dir, 'data'), '--blobHost', '127.0.0.1', '--blobPort', String(port)],
      ...['--oauth', 'basic', '--cert', cert, '--key', key],
      ...['--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null) throw new Error(`azurite exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('azurite (oauth) did not start within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    blobServiceUri: `https://127.0.0.1:${port}/devstoreaccount1`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A credential handing out tokens shaped like Entra ID's for Azure Storage (unsigned: Azurite's basic check does not
 * verify signatures). `lifetimeSeconds` may be negative to hand out expired tokens.
 */
export function emulatedEntraCredential(
  identity: { oid: string; tid: string },
  lifetimeSeconds = 3600,
): TokenCredential & { requests: number } {
  const credential = {
    requests: 0,
    async getToken(): Promise<AccessToken> {
      credential.requests += 1;
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        aud: 'https://storage.azure.com',
        iss: `https://sts.windows.net/${identity.tid}/`,
        iat: now - 60,
        nbf: now - 60,
        exp: now + lifetimeSeconds,
        oid: identity.oid,
        tid: identity.tid,
      };
      const token = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}.c2lnbmF0dXJl`;
      return { token, expiresOnTimestamp: (now + lifetimeSeconds) * 1000 };
    },
  };
  return credential;
}
