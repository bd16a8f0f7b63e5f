import type { TokenCredential } from '@azure/identity';
import { StorageSharedKeyCredential, type BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';
import { BlobHealthProbe } from '../../adapters/blob/blobHealthProbe';
import { blobServiceFor, type CredentialFactory } from '../../adapters/blob/storageConnection';
import { UserDelegationSigner } from '../../adapters/blob/userDelegationSas';
import { connectionSettingIssue } from '../../functions/http/appSettings';

// Identity-based storage as the Functions host reads it (SETTING__accountName / __blobServiceUri / __credential /
// __clientId) and read URLs signed with a user delegation key. Nothing here reaches Azure: the credential is a
// stand-in and the key request is answered by a fake service client, so what is checked is the request shape.

const fakeToken: TokenCredential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3.6e6 }) };

function recordingFactory() {
  const calls: Array<Parameters<CredentialFactory>[0]> = [];
  const factory: CredentialFactory = (options) => {
    calls.push(options);
    return fakeToken;
  };
  return { factory, calls };
}

describe('identity-based storage connections', () => {
  it('reads the account or the endpoint, and which identity to use, from the setting’s __ suffixes', () => {
    const byAccount = recordingFactory();
    const a = blobServiceFor('IMAGES', { IMAGES__accountName: 'labelimages' }, byAccount.factory);
    expect(a.url).toBe('https://labelimages.blob.core.windows.net/');
    expect(a.accountName).toBe('labelimages');
    expect(a.credential).toBe(fakeToken);
    expect(byAccount.calls).toEqual([{ managedIdentityOnly: false }]);

    const byUri = recordingFactory();
    const b = blobServiceFor(
      'AzureWebJobsStorage',
      {
        AzureWebJobsStorage__blobServiceUri: 'https://hoststore.blob.core.windows.net/',
        AzureWebJobsStorage__credential: 'managedidentity',
        AzureWebJobsStorage__clientId: '00000000-1111-2222-3333-444444444444',
      },
      byUri.factory,
    );
    expect(b.accountName).toBe('hoststore');
    expect(byUri.calls).toEqual([{ managedIdentityOnly: true, clientId: '00000000-1111-2222-3333-444444444444' }]);
  });

  it('prefers a connection string, and names both forms when neither is set', () => {
    const key = recordingFactory();
    const c = blobServiceFor('S', { S: 'UseDevelopmentStorage=true', S__accountName: 'ignored' }, key.factory);
    expect(c.credential).toBeInstanceOf(StorageSharedKeyCredential);
    expect(key.calls).toEqual([]);
    expect(() => blobServiceFor('MISSING', {}, key.factory)).toThrow(/MISSING__accountName or MISSING__blobServiceUri/);
  });

  it('accepts either form for a project’s dataset.connectionSetting at creation', () => {
    const lookup = (env: Record<string, string>) => (name: string) => env[name];
    expect(connectionSettingIssue('IMAGES', lookup({ IMAGES__accountName: 'acct' }))).toBeUndefined();
    expect(
      connectionSettingIssue('IMAGES', lookup({ IMAGES__blobServiceUri: 'https://acct.blob.core.windows.net' })),
    ).toBeUndefined();
    expect(connectionSettingIssue('IMAGES', lookup({ IMAGES__clientId: 'only-a-client-id' }))).toMatchObject({
      field: 'dataset.connectionSetting',
    });
  });

  it('the health probe names both forms when the host storage setting is missing', async () => {
    const result = await new BlobHealthProbe({}).check(new AbortController().signal);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/AzureWebJobsStorage__accountName/) });
  });

  it('names the storage account events must come from', () => {
    const gateway = new AzureBlobGateway({ IMAGES__accountName: 'labelimages' }, () => fakeToken);
    expect(gateway.accountName({ connectionSetting: 'IMAGES', container: 'val2017' })).toBe('labelimages');
    expect(gateway.blobUrl({ connectionSetting: 'IMAGES', container: 'val2017' }, 'a/000000139.jpg')).toBe(
      'https://labelimages.blob.core.windows.net/val2017/a/000000139.jpg',
    );
  });
});

/** A service client stand-in that answers getUserDelegationKey and records each request. */
function fakeService(keyLifetimeMs = 24 * 3.6e6) {
  const requests: Array<{ startsOn: Date; expiresOn: Date }> = [];
  const service = {
    accountName: 'labelimages',
    getUserDelegationKey: async (startsOn: Date, expiresOn: Date): Promise<UserDelegationKey> => {
      requests.push({ startsOn, expiresOn });
      return {
        signedObjectId: 'oid-of-the-app',
        signedTenantId: 'tenant',
        signedStartsOn: startsOn,
        signedExpiresOn: new Date(startsOn.getTime() + keyLifetimeMs),
        signedService: 'b',
        signedVersion: '2025-01-05',
        value: Buffer.from('a user delegation key of 32 bytes').toString('base64'),
      };
    },
  } as unknown as BlobServiceClient;
  return { service, requests };
}

describe('read URLs without an account key (user delegation SAS)', () => {
  const blobUrl = 'https://labelimages.blob.core.windows.net/val2017/000000139.jpg';

  it('signs a read-only URL for the blob with the key’s identity, valid for the minutes asked', async () => {
    const { service, requests } = fakeService();
    const signer = new UserDelegationSigner(service);
    const before = Date.now();
    const url = new URL(await signer.readUrl('val2017', '000000139.jpg', blobUrl, 60));

    expect(`${url.origin}${url.pathname}`).toBe(blobUrl);
    const q = url.searchParams;
    expect(q.get('sp')).toBe('r');
    expect(q.get('sr')).toBe('b');
    expect(q.get('skoid')).toBe('oid-of-the-app');
    expect(q.get('sktid')).toBe('tenant');
    expect(q.get('sig')).toBeTruthy();
    const expires = Date.parse(q.get('se')!);
    expect(expires).toBeGreaterThan(before + 59 * 60_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60 * 60_000 + 1_000);
    // The key itself was asked for a day, starting a little in the past (clock skew).
    expect(requests).toHaveLength(1);
    expect(requests[0]!.startsOn.getTime()).toBeLessThan(before);
    expect(requests[0]!.expiresOn.getTime() - before).toBeGreaterThan(23 * 3.6e6);
  });

  it('one key request serves many URLs; a URL never outlives its key', async () => {
    const { service, requests } = fakeService(30 * 60_000); // a key that expires in about 35 minutes
    const signer = new UserDelegationSigner(service);
    const urls = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signer.readUrl('val2017', `${i}.jpg`, `${blobUrl}-${i}`, 60)),
    );
    expect(requests).toHaveLength(1);
    for (const u of urls) {
      expect(Date.parse(new URL(u).searchParams.get('se')!)).toBeLessThanOrEqual(
        requests[0]!.startsOn.getTime() + 30 * 60_000,
      );
    }
  });

  it('does not cache a failed key request', async () => {
    let attempts = 0;
    const { service } = fakeService();
    const flaky = Object.assign(Object.create(service) as BlobServiceClient, {
      accountName: 'labelimages',
      getUserDelegationKey: async (s: Date, e: Date) => {
        if (++attempts === 1) throw Object.assign(new Error('AuthorizationPermissionMismatch'), { statusCode: 403 });
        return service.getUserDelegationKey(s, e);
      },
    });
    const signer = new UserDelegationSigner(flaky);
    await expect(signer.readUrl('val2017', 'a.jpg', blobUrl, 60)).rejects.toThrow(/AuthorizationPermissionMismatch/);
    await expect(signer.readUrl('val2017', 'a.jpg', blobUrl, 60)).resolves.toMatch(/sig=/);
  });
});
