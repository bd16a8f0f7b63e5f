import { BlobServiceClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';
import { BlobHealthProbe } from '../../adapters/blob/blobHealthProbe';
import { emulatedEntraCredential, startOAuthAzurite, type OAuthAzurite } from '../helpers/azuriteOAuth';

// The keyless storage paths against a real blob service that demands Entra ID tokens (Azurite over HTTPS with
// `--oauth basic`): no account key anywhere, so listing, header reads, health and read URLs must all go through the
// identity's token and a user delegation key, as on an account with shared-key access disabled.

const identity = { oid: '5b2d6c1e-0000-4000-8000-00000000a11c', tid: '72f988bf-0000-4000-8000-0000000000aa' };
const at = { connectionSetting: 'IMAGES', container: 'val2017' };

let azurite: OAuthAzurite;
let env: Record<string, string>;
let png: Buffer;
const previousTlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

beforeAll(async () => {
  // The emulator's certificate is self-signed and made for this run; only this test process skips verification.
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  azurite = await startOAuthAzurite();
  env = { IMAGES__blobServiceUri: azurite.blobServiceUri, IMAGES__credential: 'managedidentity' };
  png = await sharp({ create: { width: 640, height: 427, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  // Uploaded with a token too (the Storage Blob Data Contributor path): the account has no key in use here.
  const writer = new BlobServiceClient(azurite.blobServiceUri, emulatedEntraCredential(identity));
  const container = writer.getContainerClient(at.container);
  await container.create();
  await container.getBlockBlobClient('a/000000000139.png').uploadData(png);
  await container.getBlockBlobClient('a/000000000285.png').uploadData(png);
});

afterAll(async () => {
  await azurite?.stop();
  if (previousTlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousTlsSetting;
});

describe('identity-based image storage on an emulator that requires Entra ID tokens', () => {
  it('lists, reads image headers and checks health with the managed identity’s token', async () => {
    const credential = emulatedEntraCredential(identity);
    const factoryCalls: unknown[] = [];
    const gateway = new AzureBlobGateway(env, (options) => {
      factoryCalls.push(options);
      return credential;
    });

    const page = await gateway.listBlobs(at, 'a/', 10);
    expect(page.items.map((b) => b.blobPath)).toEqual(['a/000000000139.png', 'a/000000000285.png']);
    expect(page.items[0]!.blobUrl).toBe(`${azurite.blobServiceUri}/val2017/a/000000000139.png`);
    const head = await gateway.readHead(at, 'a/000000000139.png', 64);
    expect(head).toEqual(png.subarray(0, 64));
    expect(await gateway.readHead(at, 'a/missing.png', 64)).toBeUndefined();
    expect(factoryCalls).toEqual([{ managedIdentityOnly: true }]);
    expect(credential.requests).toBeGreaterThan(0);

    const health = await new BlobHealthProbe(env, 'IMAGES', () => credential).check(new AbortController().signal);
    expect(health).toMatchObject({ ok: true, kind: 'azure-blob' });
  });

  it('hands out read URLs signed with a user delegation key that the service honours, for that blob only', async () => {
    const gateway = new AzureBlobGateway(env, () => emulatedEntraCredential(identity));
    const url = await gateway.readUrl(at, 'a/000000000139.png', 15);
    expect(new URL(url).searchParams.get('skoid')).toBe(identity.oid);

    const read = await fetch(url);
    expect(read.status).toBe(200);
    expect(Buffer.from(await read.arrayBuffer())).toEqual(png);

    // The signature covers the blob's path: the same query on another blob is refused.
    const other = new URL(url);
    other.pathname = other.pathname.replace('000000000139', '000000000285');
    expect((await fetch(other)).status).toBe(403);
    // And the URL is read-only.
    expect((await fetch(url, { method: 'PUT', body: 'x', headers: { 'x-ms-blob-type': 'BlockBlob' } })).status).toBe(
      403,
    );
  });

  it('is refused with an expired token, so the token really is what authorizes the calls', async () => {
    const gateway = new AzureBlobGateway(env, () => emulatedEntraCredential(identity, -600));
    await expect(gateway.listBlobs(at, '', 10)).rejects.toMatchObject({ statusCode: 403 });
    const health = await new BlobHealthProbe(env, 'IMAGES', () => emulatedEntraCredential(identity, -600)).check(
      new AbortController().signal,
    );
    expect(health.ok).toBe(false);
  });
});
