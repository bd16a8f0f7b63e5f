#!/usr/bin/env node
/**
 * `npm run demo:upload -- --count N [--container C] [--connection-string S] [--prefix P] [--seed S]
 *  [--concurrency K] [--min-size PX] [--max-size PX] [--out FILE]`
 *
 * Generates N synthetic images with known boxes (circle, square, triangle), uploads them to blob storage (devhost's
 * Azurite by default), and writes the ground truth as COCO JSON both to the container (`_groundtruth/coco.json`) and
 * to a local file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { groundTruthBlob, openContainer, resolveConnectionString, uploadDemoImages } from './demo/demoUpload';

const usage =
  'usage: npm run demo:upload -- --count N [--container demo] [--connection-string S] [--prefix images/]\n' +
  '       [--seed 2017] [--concurrency 16] [--min-size 320] [--max-size 1024] [--out .data/demo/<container>/coco.json]';

function positiveInt(name: string, raw: string | undefined, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required.\n${usage}`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}".`);
  return n;
}

/** A redrawn bar on a terminal; a plain line every ~10% (or 5 s) when output goes to a file or CI log. */
function progressReporter(label: string): (done: number, total: number) => void {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  let lastTenth = -1;
  return (done, total) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(done / seconds) : 0;
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      process.stdout.write(`\r${label} [${bar}] ${done}/${total} ${Math.floor((done / total) * 100)}% ${rate}/s`);
      if (done === total) process.stdout.write('\n');
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth || Date.now() - lastLine > 5_000 || done === total) {
      lastTenth = tenth;
      lastLine = Date.now();
      process.stdout.write(`${label}: ${done}/${total} (${Math.floor((done / total) * 100)}%, ${rate}/s)\n`);
    }
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string' },
      container: { type: 'string', default: 'demo' },
      'connection-string': { type: 'string' },
      prefix: { type: 'string', default: '' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'min-size': { type: 'string' },
      'max-size': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const count = positiveInt('count', values.count);
  const minSize = positiveInt('min-size', values['min-size'], 320);
  const maxSize = positiveInt('max-size', values['max-size'], 1024);
  if (minSize > maxSize) throw new Error('--min-size must not exceed --max-size.');
  if (minSize < 32) throw new Error('--min-size must be at least 32 pixels (objects need room).');
  const container = values.container!;
  const connectionString = resolveConnectionString(values['connection-string']);

  const client = await openContainer(connectionString, container);
  const started = Date.now();
  const coco = await uploadDemoImages(client, {
    count,
    prefix: values.prefix,
    seed: values.seed === undefined ? undefined : positiveInt('seed', values.seed),
    minSize,
    maxSize,
    concurrency: positiveInt('concurrency', values.concurrency, 16),
    uploadGroundTruth: true,
    onProgress: progressReporter('Uploading'),
  });
  const localFile = path.resolve(values.out ?? path.join('.data', 'demo', container, 'coco.json'));
  mkdirSync(path.dirname(localFile), { recursive: true });
  writeFileSync(localFile, JSON.stringify(coco, null, 2));

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `Uploaded ${count} images (${coco.annotations.length} boxes) to ${client.url} in ${seconds} s.\n` +
      `Ground truth: ${client.url}/${groundTruthBlob}\n` +
      `Ground truth (local): ${localFile}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`demo:upload failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
