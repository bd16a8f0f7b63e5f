import { createHttpsServer } from '@vercel/cosmosdb-server';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RunningCosmosServer {
  endpoint: string;
  /** App settings that point `createCosmosLabelStore` at this server (add COSMOS_DATABASE per store). */
  env: { COSMOS_ENDPOINT: string; COSMOS_KEY: string; COSMOS_ALLOW_INSECURE_TLS: string };
  /** Calls `listener` with each request's headers as they reach the server (after the client's auth policy). */
  observe(listener: (headers: IncomingHttpHeaders) => void): () => void;
  stop(): Promise<void>;
}

/**
 * Starts an in-memory `@vercel/cosmosdb-server` (HTTPS, self-signed) on a free loopback port, inside the test
 * process: no emulator or external setup. Everything it holds is lost on stop.
 */
export async function startCosmosServer(): Promise<RunningCosmosServer> {
  const server: Server = createHttpsServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}`;
  return {
    endpoint,
    // The server accepts any key; the adapter still takes the key path, as it would with the emulator.
    env: { COSMOS_ENDPOINT: endpoint, COSMOS_KEY: 'cosmosdb-server-accepts-any-key', COSMOS_ALLOW_INSECURE_TLS: '1' },
    observe(listener) {
      const onRequest = (request: IncomingMessage) => listener(request.headers);
      server.prependListener('request', onRequest);
      return () => server.off('request', onRequest);
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
