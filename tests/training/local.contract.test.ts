import sharp from 'sharp';
import { LocalTrainingBackend, type JobRunner } from '../../adapters/training/local/localBackend';
import { cancelFile } from '../../adapters/training/local/localJobs';
import { runJob } from '../../adapters/training/local/runJob';
import { tfjsEngine } from '../../adapters/training/local/tfjsEngine';
import { MemoryTrainingFiles } from './memoryTrainingFiles';
import { describeTrainingBackendContract } from './trainingBackend.contract';

// The provider-independent TrainingBackend contract for the local adapter, with the real runner code and the real
// detector (tiny: one epoch at 64 px). The runner here works in this process and, like a busy runner process, takes
// a job up when the harness finishes it (or when a cancel for it arrives); "failed" is a job whose images cannot be
// read, as a deleted container would make it.

const blobPaths = ['a/001.jpg', 'a/002.jpg', 'b/003.jpg'];
const image = sharp({ create: { width: 100, height: 100, channels: 3, background: '#777777' } })
  .composite([
    {
      input: Buffer.from('<svg width="50" height="60"><rect width="50" height="60" fill="#c33"/></svg>'),
      left: 10,
      top: 10,
    },
  ])
  .jpeg()
  .toBuffer();

describeTrainingBackendContract('local (built-in CPU trainer)', async () => {
  const files = new MemoryTrainingFiles();
  const failing = new Set<string>();
  const waiting = new Set<string>();
  const running = new Map<string, Promise<unknown>>();
  const run = (jobId: string) => {
    waiting.delete(jobId);
    if (!running.has(jobId)) {
      const readImage = async () => {
        if (failing.has(jobId)) throw new Error('The specified container does not exist.');
        return image;
      };
      running.set(jobId, runJob(jobId, { files, readImage, engine: tfjsEngine() }));
    }
    return running.get(jobId)!;
  };
  const runner: JobRunner = {
    ensure(jobId) {
      waiting.add(jobId);
      void files.read(cancelFile(jobId)).then((cancel) => cancel && run(jobId));
    },
    has: (jobId) => waiting.has(jobId) || running.has(jobId),
  };
  const backend = new LocalTrainingBackend(files, runner, { epochs: 1, inputSize: 64, workers: 1 });
  return {
    backend,
    files,
    images: { connectionSetting: 'AzureWebJobsStorage', container: 'contract-images', blobPaths },
    pollIntervalMs: 50,
    async finish(jobId, end) {
      if (end === 'failed') failing.add(jobId);
      await run(jobId);
    },
    async close() {
      await Promise.allSettled(running.values());
    },
  };
});
