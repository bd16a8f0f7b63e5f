#!/usr/bin/env node
import { loadConfig } from './config';
import { startDevHost } from './host';

/**
 * `node dist/devhost/cli.js [--app <glob>] [--no-services]`: runs the app in the current directory on devhost.
 * PORT (default 7071, 0 = any free port) and DATA_DIR (default .data) come from the environment.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const env = process.env;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--app') env.DEVHOST_MAIN = args[++i];
    else if (arg === '--no-services') env.DEVHOST_EMBEDDED_SERVICES = '0';
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: devhost [--app <entry glob>] [--no-services]\n');
      return;
    } else throw new Error(`Unknown argument: ${arg}`);
  }
  const config = loadConfig(process.cwd(), env);
  const host = await startDevHost(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`Received ${signal}, shutting down...\n`);
    host
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        process.stderr.write(`Shutdown failed: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`devhost failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
