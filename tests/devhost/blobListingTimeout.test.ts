import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobLister } from '../../devhost/eventgrid/blobListing';
import { DEV_ACCOUNT_KEY, DEV_ACCOUNT_NAME } from '../../devhost/services/azurite';

// A storage endpoint that takes requests and never answers the first ones (a stalled Azurite): the lister's requests
// must fail rather than hold the blob watcher's pass (and so every later blob event) for fetch's own 5 minutes.

let server: Server;
let endpoint: string;
let answerAfter = 0;
const held: ServerResponse[] = [];

beforeAll(async () => {
  let seen = 0;
  server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    if (++seen <= answerAfter) {
      held.push(res); // never answered
      return;
    }
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      '<?xml version="1.0"?><EnumerationResults><Containers><Container><Name>images</Name></Container></Containers><NextMarker/></EnumerationResults>',
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/${DEV_ACCOUNT_NAME}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('the blob lister against a storage endpoint that stops answering', () => {
  it('fails a request that gets no answer, and lists again once the endpoint answers', async () => {
    answerAfter = 1;
    const lister = new BlobLister(
      { accountName: DEV_ACCOUNT_NAME, accountKey: DEV_ACCOUNT_KEY, blobEndpoint: endpoint },
      { requestTimeoutMs: 300 },
    );
    await expect(lister.listContainers()).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(lister.listContainers()).resolves.toEqual(['images']);
  });

  it('still ends a request when its pass is stopped', async () => {
    answerAfter = Number.POSITIVE_INFINITY;
    const lister = new BlobLister({
      accountName: DEV_ACCOUNT_NAME,
      accountKey: DEV_ACCOUNT_KEY,
      blobEndpoint: endpoint,
    });
    const stop = new AbortController();
    const listing = lister.listContainers(stop.signal);
    stop.abort();
    await expect(listing).rejects.toMatchObject({ name: 'AbortError' });
  });
});
