// A minimal in-memory Blob service for benchmarks: just enough of the Blob REST API for @azure/storage-blob's
// createIfNotExists, uploadData (Put Blob) and download with a range. Requests are not authenticated.
//
// Why not Azurite: its in-memory metadata store (LokiJS) finds a blob by scanning every blob of the account, so a
// read costs O(blobs): measured 0.85 ms of Azurite CPU per ranged GET at 2,000 blobs, 4.7 ms at 20,000 — about
// 27 ms at 118,287, i.e. an hour of emulator CPU for one benchmark run. Azure Storage has no such cost; this server
// stands in for a storage account that is not the bottleneck, so the benchmark measures the app and devhost.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

const xml = (code, message) =>
  `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

export async function startMemoryBlobServer() {
  /** container → Map(blobName → { bytes, contentType, etag, lastModified }) */
  const containers = new Map();
  let served = 0;

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    // Path-style like Azurite: /{account}/{container}/{blob...}
    const [, , container, ...rest] = url.pathname.split('/');
    const blobName = decodeURIComponent(rest.join('/'));
    const common = { 'x-ms-version': '2025-01-05', 'x-ms-request-id': String(++served) };
    const fail = (status, code) => {
      res.writeHead(status, { ...common, 'content-type': 'application/xml', 'x-ms-error-code': code });
      res.end(xml(code, code));
    };
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (url.searchParams.get('restype') === 'container') {
        if (req.method !== 'PUT') return fail(400, 'UnsupportedOperation');
        if (containers.has(container)) return fail(409, 'ContainerAlreadyExists');
        containers.set(container, new Map());
        res.writeHead(201, { ...common, etag: '"0x1"', 'last-modified': new Date().toUTCString() });
        return res.end();
      }
      const blobs = containers.get(container);
      if (!blobs) return fail(404, 'ContainerNotFound');
      if (req.method === 'PUT') {
        const bytes = Buffer.concat(chunks);
        const etag = `"0x${createHash('md5').update(bytes).update(blobName).digest('hex').slice(0, 15).toUpperCase()}"`;
        const lastModified = new Date().toUTCString();
        blobs.set(blobName, {
          bytes,
          contentType: req.headers['x-ms-blob-content-type'] ?? 'application/octet-stream',
          etag,
          lastModified,
        });
        res.writeHead(201, { ...common, etag, 'last-modified': lastModified, 'x-ms-request-server-encrypted': 'true' });
        return res.end();
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(400, 'UnsupportedOperation');
      const blob = blobs.get(blobName);
      if (!blob) return fail(404, 'BlobNotFound');
      const headers = {
        ...common,
        etag: blob.etag,
        'last-modified': blob.lastModified,
        'content-type': blob.contentType,
        'x-ms-blob-type': 'BlockBlob',
        'accept-ranges': 'bytes',
      };
      const range = /bytes=(\d+)-(\d*)/.exec(req.headers['x-ms-range'] ?? req.headers.range ?? '');
      let body = blob.bytes;
      let status = 200;
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(range[2] ? Number(range[2]) : body.length - 1, body.length - 1);
        if (start >= body.length) return fail(416, 'InvalidRange');
        headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
        body = body.subarray(start, end + 1);
        status = 206;
      }
      headers['content-length'] = String(body.length);
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const blobEndpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
  return {
    blobEndpoint,
    connectionString:
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
      'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
      `BlobEndpoint=${blobEndpoint};`,
    stop: () => new Promise((resolve) => server.close(resolve)),
    closeIdle: () => server.closeAllConnections(),
  };
}

// Run as its own process (`node memoryBlobServer.mjs`): prints `{"connectionString":…,"blobEndpoint":…}` once
// listening, so the benchmark can account its CPU separately and it never competes with the client's event loop.
if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await startMemoryBlobServer();
  process.stdout.write(
    `${JSON.stringify({ connectionString: running.connectionString, blobEndpoint: running.blobEndpoint })}\n`,
  );
  process.once('SIGTERM', () => process.exit(0));
}
