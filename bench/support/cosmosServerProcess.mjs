import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @vercel/cosmosdb-server in its own process (as a separate service would be), on a free loopback port. */
export async function startCosmosServerProcess() {
  const cli = require.resolve('@vercel/cosmosdb-server/lib/cli.js');
  const child = spawn(process.execPath, [cli, '-p', '0', '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /connections at [^:]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`cosmosdb-server exited (${code}): ${out}`)));
  });
  return {
    pid: child.pid,
    endpoint: `https://127.0.0.1:${port}`,
    env: {
      COSMOS_ENDPOINT: `https://127.0.0.1:${port}`,
      COSMOS_KEY: 'cosmosdb-server-accepts-any-key',
      COSMOS_ALLOW_INSECURE_TLS: '1',
    },
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  };
}
