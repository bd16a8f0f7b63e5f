import {
  BlobSASPermissions,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
  type UserDelegationKey,
} from '@azure/storage-blob';

/** A user delegation key lives at most 7 days; this one a day, renewed an hour before it expires. */
const keyLifetimeMs = 24 * 60 * 60_000;
const keyRenewBeforeMs = 60 * 60_000;
/** Tolerates clock skew between this host and storage. */
const startSkewMs = 5 * 60_000;

/**
 * Read URLs without an account key: SAS tokens signed with a user delegation key, which the app's identity obtains
 * from the storage account (role Storage Blob Data Reader / Delegator). One key request serves every URL for a day.
 */
export class UserDelegationSigner {
  readonly #service: BlobServiceClient;
  #key: { value: Promise<UserDelegationKey>; renewAt: number } | undefined;

  constructor(service: BlobServiceClient) {
    this.#service = service;
  }

  async readUrl(container: string, blobPath: string, blobUrl: string, minutes: number): Promise<string> {
    const now = Date.now();
    const key = await this.#currentKey(now);
    const expiresOn = new Date(Math.min(now + minutes * 60_000, key.signedExpiresOn.getTime()));
    const sas = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: blobPath,
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - startSkewMs),
        expiresOn,
      },
      key,
      this.#service.accountName,
    );
    return `${blobUrl}?${sas.toString()}`;
  }

  #currentKey(now: number): Promise<UserDelegationKey> {
    if (!this.#key || now >= this.#key.renewAt) {
      const value = this.#service.getUserDelegationKey(new Date(now - startSkewMs), new Date(now + keyLifetimeMs));
      this.#key = { value, renewAt: now + keyLifetimeMs - keyRenewBeforeMs };
      value.catch(() => {
        if (this.#key?.value === value) this.#key = undefined; // a failed request is not cached
      });
    }
    return this.#key.value;
  }
}
