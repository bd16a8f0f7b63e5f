import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  InferenceJobRequest,
  ProviderJobStatus,
  TrainingBackend,
  TrainingJobRequest,
} from '../../shared/ports/trainingBackend';
import type { TrainingFiles } from '../../shared/ports/trainingFiles';

/**
 * What every TrainingBackend promises, whichever provider answers (shared/ports/trainingBackend.ts): starts are
 * idempotent per (run, kind); a job the provider does not know has no status; jobs end in a terminal state; a
 * completed prediction job's parts are readable as ImagePredictions. Run it with a harness per adapter:
 *
 *   describeTrainingBackendContract('azureml (fake Azure ML)', async () => harness);
 */
export interface TrainingBackendHarness {
  backend: TrainingBackend;
  /** The training container the backend reads; the contract writes datasets and manifests here. */
  files: TrainingFiles;
  /**
   * Brings a started job to its end as the provider would: a fake sets the state, a real runner waits for it. A
   * completed prediction job must leave its predictions where predictionParts finds them.
   */
  finish(jobId: string, end: 'completed' | 'failed'): Promise<void>;
  /** Images the provider can read, when it reads them (default: a made-up container, for fakes). */
  images?: { connectionSetting: string; container: string; blobPaths: string[] };
  /** Pause between status polls while waiting for a cancel to land (default 0). */
  pollIntervalMs?: number;
  close?(): Promise<void>;
}

const TERMINAL = ['completed', 'failed', 'canceled'];

export function describeTrainingBackendContract(name: string, factory: () => Promise<TrainingBackendHarness>): void {
  describe(`TrainingBackend contract: ${name}`, () => {
    let h: TrainingBackendHarness;
    let runCounter = 0;

    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close?.();
    });

    const images = () =>
      h.images ?? {
        connectionSetting: 'IMAGES',
        container: 'contract-images',
        blobPaths: ['a/001.jpg', 'a/002.jpg', 'b/003.jpg'],
      };

    /** A small dataset in the writer's layout (train/ and validation/, data.jsonl + MLTable each). */
    async function trainingRequest(
      projectId = 'contract-proj',
      runId = `run-${String(++runCounter).padStart(9, '0')}`,
    ) {
      const { connectionSetting, container, blobPaths } = images();
      const folder = `${projectId}/${runId}/dataset`;
      const line = (blobPath: string) =>
        JSON.stringify({
          image_url: blobPath,
          image_details: { format: 'jpg', width: 100, height: 100 },
          label: [{ label: 'cat', topX: 0.1, topY: 0.1, bottomX: 0.6, bottomY: 0.7, isCrowd: 0 }],
        });
      for (const split of ['train', 'validation']) {
        await h.files.write(`${folder}/${split}/data.jsonl`, blobPaths.map(line).join('\n') + '\n');
        await h.files.write(
          `${folder}/${split}/MLTable`,
          'paths:\n  - file: ./data.jsonl\ntransformations:\n  - read_json_lines:\n      encoding: utf8\n',
        );
      }
      const request: TrainingJobRequest = {
        projectId,
        runId,
        images: { connectionSetting, container },
        dataset: { folder, labels: ['cat'], trainCount: blobPaths.length, validationCount: blobPaths.length },
      };
      return request;
    }

    async function inferenceRequest(training: TrainingJobRequest, trainingJobId: string) {
      const { blobPaths } = images();
      const manifest = `${training.projectId}/${training.runId}/inference/manifest.jsonl`;
      const entries = blobPaths.map((blobPath, i) => ({ taskId: `task-${i}`, blobPath, width: 100, height: 100 }));
      await h.files.write(manifest, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const request: InferenceJobRequest = {
        projectId: training.projectId,
        runId: training.runId,
        images: training.images,
        trainingJobId,
        input: { manifest, count: entries.length },
      };
      return { request, taskIds: entries.map((e) => e.taskId) };
    }

    async function statusUntil(jobId: string, done: (s: ProviderJobStatus | undefined) => boolean, polls = 50) {
      let status = await h.backend.status(jobId);
      for (let i = 0; i < polls && !done(status); i++) {
        if (h.pollIntervalMs) await new Promise((resolve) => setTimeout(resolve, h.pollIntervalMs));
        status = await h.backend.status(jobId);
      }
      return status;
    }

    it('starts one job per (run, kind): starting again answers the same job', async () => {
      const request = await trainingRequest();
      const first = await h.backend.startTraining(request);
      const again = await h.backend.startTraining(request);
      expect(again.jobId).toBe(first.jobId);
      const otherRun = await h.backend.startTraining(await trainingRequest());
      expect(otherRun.jobId).not.toBe(first.jobId);
      const otherProject = await h.backend.startTraining(await trainingRequest('contract-other', request.runId));
      expect(otherProject.jobId).not.toBe(first.jobId);

      await h.finish(first.jobId, 'completed');
      const { request: predict } = await inferenceRequest(request, first.jobId);
      const inference = await h.backend.startInference(predict);
      expect(inference.jobId).not.toBe(first.jobId);
      expect((await h.backend.startInference(predict)).jobId).toBe(inference.jobId);
    });

    it('has no status for a job it does not know', async () => {
      expect(await h.backend.status('contract-no-such-job')).toBeUndefined();
    });

    it('reports an active job as queued or running, then its end', async () => {
      const ok = await h.backend.startTraining(await trainingRequest());
      expect(['queued', 'running', 'completed']).toContain((await h.backend.status(ok.jobId))?.state);
      await h.finish(ok.jobId, 'completed');
      expect((await h.backend.status(ok.jobId))?.state).toBe('completed');

      const bad = await h.backend.startTraining(await trainingRequest());
      await h.finish(bad.jobId, 'failed');
      const failed = await h.backend.status(bad.jobId);
      expect(failed?.state).toBe('failed');
      expect(failed?.reason).toEqual(expect.any(String));
    });

    it('cancels an active job and leaves a finished one as it is', async () => {
      const active = await h.backend.startTraining(await trainingRequest());
      await h.backend.cancel(active.jobId);
      const end = await statusUntil(active.jobId, (s) => TERMINAL.includes(s?.state ?? ''));
      expect(end?.state).toBe('canceled');

      const done = await h.backend.startTraining(await trainingRequest());
      await h.finish(done.jobId, 'completed');
      await h.backend.cancel(done.jobId);
      expect((await h.backend.status(done.jobId))?.state).toBe('completed');
    });

    it('reads the predictions of a completed prediction job, part by part, one per manifest image', async () => {
      const training = await trainingRequest();
      const trained = await h.backend.startTraining(training);
      await h.finish(trained.jobId, 'completed');
      const { request, taskIds } = await inferenceRequest(training, trained.jobId);
      const inference = await h.backend.startInference(request);
      await h.finish(inference.jobId, 'completed');

      const parts = await h.backend.predictionParts(inference.jobId);
      expect(parts.length).toBeGreaterThan(0);
      expect(await h.backend.predictionParts(inference.jobId)).toEqual(parts);
      const predictions = (await Promise.all(parts.map((p) => h.backend.readPredictions(inference.jobId, p)))).flat();
      expect(predictions.map((p) => p.taskId).sort()).toEqual([...taskIds].sort());
      for (const box of predictions.flatMap((p) => p.boxes)) {
        for (const v of [box.topX, box.topY, box.bottomX, box.bottomY]) expect(v >= 0 && v <= 1).toBe(true);
        expect(box.bottomX).toBeGreaterThan(box.topX);
        expect(box.bottomY).toBeGreaterThan(box.topY);
        expect(Number.isFinite(box.score)).toBe(true);
        expect(box.label).toEqual(expect.any(String));
      }
    });
  });
}
