import { ContainerClient } from '@azure/storage-blob';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';

const connectionString =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';

describe('task URLs built by the blob gateway', () => {
  const gateway = new AzureBlobGateway({ AzureWebJobsStorage: connectionString });
  const at = { connectionSetting: 'AzureWebJobsStorage', container: 'images' };
  const sdk = new ContainerClient(`http://127.0.0.1:10000/devstoreaccount1/images`);

  it('equal the SDK’s own blob URL for any blob name (listings and events agree on a task’s URL)', () => {
    fc.assert(
      // Names Azure Storage accepts: no `.`/`..` segment (the SDK would resolve those away).
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((n) => !/(^|\/)\.\.?(\/|$)/.test(n)),
        (name) => {
          expect(gateway.blobUrl(at, name)).toBe(sdk.getBlobClient(name).url);
        },
      ),
      { numRuns: 500 },
    );
    for (const name of ["it's a cat.jpg", 'a b/c+d/%41.png', '猫/000000139.jpg', 'x?y#z.jpg']) {
      expect(gateway.blobUrl(at, name)).toBe(sdk.getBlobClient(name).url);
    }
  });

  it('name the account of the connection setting', () => {
    expect(gateway.accountName(at)).toBe('devstoreaccount1');
  });
});
