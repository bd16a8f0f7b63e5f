/**
 * The local runner process: `node runnerMain.js <jobId>`. Started by RunnerSupervisor with the host's app settings in
 * its environment; runs the job and exits. It leaves when its parent goes (stdin closes), so it never outlives the
 * host that started it.
 */
import { appSettings } from '../../../shared/settings';
import { BlobTrainingFiles } from '../../blob/blobTrainingFiles';
import { blobImageReader } from './blobImageReader';
import { runJob } from './runJob';
import { tfjsEngine } from './tfjsEngine';

process.stdin
  .on('end', () => process.exit(1))
  .on('error', () => process.exit(1))
  .resume();

async function main(): Promise<void> {
  const jobId = process.argv[2];
  if (!jobId) throw new Error('usage: runnerMain.js <jobId>');
  const settings = appSettings();
  const files = new BlobTrainingFiles(settings.training.container, process.env);
  const status = await runJob(jobId, { files, readImage: blobImageReader(process.env), engine: tfjsEngine() });
  console.log(`local runner: job ${jobId} ${status.state}${status.reason ? `: ${status.reason}` : ''}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`local runner failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
