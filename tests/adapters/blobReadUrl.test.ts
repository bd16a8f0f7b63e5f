import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobGateway } from '../../adapters/blob/azureBlobGateway';
import { startStandaloneAzurite } from '../backfill/helpers';

// A labeler's browser loads each image of a batch from the read URL the gateway signs (account key: a service SAS
// signed in process). Names as COCO and users' datasets have them: folders, spaces, quotes, non-ASCII.
const names = ['train2017/000000000139.jpg', "cam 1/it's a cat.jpg", '猫/a+b%41.png'];

describe('read URLs signed by the blob gateway (Azurite)', () => {
  let azurite: Awaited<ReturnType<typeof startStandaloneAzurite>>;
  let gateway: AzureBlobGateway;
  const at = { connectionSetting: 'IMAGES', container: 'photos' };

  beforeAll(async () => {
    azurite = await startStandaloneAzurite();
    gateway = new AzureBlobGateway({ IMAGES: azurite.connectionString });
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('photos');
    await container.create();
    for (const [i, name] of names.entries()) await container.getBlockBlobClient(name).upload(`image ${i}`, 7);
  });
  afterAll(async () => {
    await azurite?.stop();
    azurite?.cleanup();
  });

  it('serve each image to anyone holding the URL, and nothing else', async () => {
    for (const [i, name] of names.entries()) {
      const url = await gateway.readUrl(at, name, 60);
      const read = await fetch(url);
      expect(read.status, name).toBe(200);
      expect(await read.text()).toBe(`image ${i}`);
      // Read only: the same URL cannot overwrite the image, nor read another blob.
      const write = await fetch(url, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'x' });
      expect(write.status, name).toBe(403);
      const other = url.replace(gateway.blobUrl(at, name), gateway.blobUrl(at, names[(i + 1) % names.length]!));
      expect((await fetch(other)).status, name).toBe(403);
    }
  });

  it('stop working when they expire', async () => {
    const url = await gateway.readUrl(at, names[0]!, -1); // expired a minute ago
    expect((await fetch(url)).status).toBe(403);
  });
});
