import { describe, expect, it } from 'vitest';
import { LocalTrainingBackend } from '../../adapters/training/local/localBackend';
import { jobFile, localJobId, statusFile, type LocalJobSpec } from '../../adapters/training/local/localJobs';
import { MemoryTrainingFiles } from './memoryTrainingFiles';

// A local job whose runner went away (the host was killed: the runner dies with it) is picked up again by the next
// status poll, not left "running" forever; one that is still beating is left to its runner.

const spec: LocalJobSpec = {
  kind: 'train',
  trainer: { epochs: 1, inputSize: 64, workers: 1 },
  request: {
    projectId: 'p',
    runId: 'run-000000250',
    images: { connectionSetting: 'AzureWebJobsStorage', container: 'c' },
    dataset: { folder: 'p/run-000000250/dataset', labels: ['cat'], trainCount: 1, validationCount: 1 },
  },
};

async function jobWithHeartbeat(ageMs: number, now: Date) {
  const files = new MemoryTrainingFiles();
  const jobId = localJobId('p', 'run-000000250', 'train');
  await files.write(jobFile(jobId), JSON.stringify(spec));
  const heartbeatAt = new Date(now.getTime() - ageMs).toISOString();
  await files.write(statusFile(jobId), JSON.stringify({ state: 'running', heartbeatAt, attempt: 1, progress: 0.3 }));
  const ensured: string[] = [];
  const runner = { ensure: (id: string) => void ensured.push(id), has: () => false };
  return { files, jobId, ensured, backend: new LocalTrainingBackend(files, runner, spec.trainer, () => now) };
}

describe('local runner recovery', () => {
  it('starts a job over when its heartbeat has gone stale, and reports it running meanwhile', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const { backend, jobId, ensured } = await jobWithHeartbeat(5 * 60_000, now);
    expect(await backend.status(jobId)).toMatchObject({ state: 'running', progress: 0.3 });
    expect(ensured).toEqual([jobId]);
  });

  it('leaves a job with a fresh heartbeat to the runner that has it', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const { backend, jobId, ensured } = await jobWithHeartbeat(2_000, now);
    expect((await backend.status(jobId))?.state).toBe('running');
    expect(ensured).toEqual([]);
  });
});
