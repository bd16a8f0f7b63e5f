import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { planImage, renderImage, type PlanOptions } from '../../scripts/demo/syntheticImages';
import {
  loadDetector,
  parseArtifact,
  serializeArtifact,
  trainDetector,
  type DetectorArtifact,
  type TrainDetectorOptions,
  type TrainingExample,
} from '../../adapters/training/local';

/**
 * The trainer end to end with a deliberately tiny network (64 px input, a few filters, 3 epochs on 20 plain images):
 * it must run, learn something (loss goes down), and produce an artifact that round-trips and predicts in image
 * pixels. Quality is the bench's job (bench/trainer.mjs), not this test's.
 */

const labels = ['circle', 'square', 'triangle'];
const plan: PlanOptions = { seed: 7, minSize: 64, maxSize: 112, minObjects: 1, maxObjects: 2 };

async function examples(count: number, start = 0): Promise<Array<TrainingExample & { width: number; height: number }>> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const p = planImage(start + i, plan);
      return {
        image: await renderImage(p),
        width: p.width,
        height: p.height,
        boxes: p.objects.map((o) => ({
          label: o.shape.name,
          x: o.bbox[0],
          y: o.bbox[1],
          width: o.bbox[2],
          height: o.bbox[3],
        })),
      };
    }),
  );
}

const tiny: Omit<TrainDetectorOptions, 'labels'> = {
  inputSize: 64,
  epochs: 3,
  batchSize: 8,
  workers: 2,
  seed: 3,
  learningRate: 1e-2,
  architecture: { stem: 4, stages: [8, 12], neck: 8, head: 8 },
};

describe('local CPU detector: tiny end-to-end run', () => {
  let train: Awaited<ReturnType<typeof examples>>;
  let held: Awaited<ReturnType<typeof examples>>;
  let artifact: DetectorArtifact;
  const losses: number[] = [];

  beforeAll(async () => {
    train = await examples(20);
    held = await examples(4, 100);
    artifact = await trainDetector(train, { labels, ...tiny, onProgress: (p) => losses.push(p.loss) });
  });

  it('trains: one progress report per epoch, loss decreases', () => {
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[2]!).toBeLessThan(losses[0]!);
    expect(artifact.format).toBe('mlassist-centernet/1');
    expect(artifact.labels).toEqual(labels);
    expect(artifact.inputSize).toBe(64);
  });

  it('is deterministic for a given seed', async () => {
    const again = await trainDetector(train, { labels, ...tiny });
    expect(again.data.equals(artifact.data)).toBe(true);
  });

  it('round-trips: serialize → parse → predict gives identical boxes and scores', async () => {
    const blob = serializeArtifact(artifact);
    const parsed = parseArtifact(blob);
    expect(parsed.data.equals(artifact.data)).toBe(true);
    expect({ ...parsed, data: undefined }).toEqual({ ...artifact, data: undefined });
    const a = await loadDetector(artifact);
    const b = await loadDetector(parsed);
    try {
      for (const image of held) {
        const pa = await a.predict(image.image, { minScore: 0, maxDetections: 20 });
        const pb = await b.predict(image.image, { minScore: 0, maxDetections: 20 });
        expect(pa.length).toBeGreaterThan(0);
        expect(pb).toEqual(pa);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('predicts boxes in original image pixels, inside the image, sorted by raw score', async () => {
    const detector = await loadDetector(artifact);
    const tensorsBefore = tf.memory().numTensors;
    try {
      for (const image of held) {
        const found = await detector.predict(image.image, { minScore: 0, maxDetections: 30 });
        expect(found.length).toBeLessThanOrEqual(30);
        for (const d of found) {
          expect(labels).toContain(d.label);
          expect(d.x).toBeGreaterThanOrEqual(0);
          expect(d.y).toBeGreaterThanOrEqual(0);
          expect(d.width).toBeGreaterThan(0);
          expect(d.height).toBeGreaterThan(0);
          expect(d.x + d.width).toBeLessThanOrEqual(image.width + 1e-6);
          expect(d.y + d.height).toBeLessThanOrEqual(image.height + 1e-6);
          expect(d.score).toBeGreaterThanOrEqual(0);
          expect(d.score).toBeLessThanOrEqual(1);
        }
        const scores = found.map((d) => d.score);
        expect(scores).toEqual([...scores].sort((x, y) => y - x));
        // The default threshold drops low scores; maxDetections caps the count.
        const few = await detector.predict(image.image, { minScore: 0, maxDetections: 2 });
        expect(few).toEqual(found.slice(0, 2));
      }
      expect(tf.memory().numTensors).toBe(tensorsBefore); // predict leaks no tensors
    } finally {
      detector.dispose();
    }
  });

  it('rejects a corrupted artifact', () => {
    const blob = serializeArtifact(artifact);
    expect(() => parseArtifact(blob.subarray(0, blob.length - 4))).toThrow(/data bytes/);
    const bad = Buffer.from(blob);
    bad.write('XX', 0, 'latin1');
    expect(() => parseArtifact(bad)).toThrow(/magic/);
  });

  it('stops when the signal aborts (before or during training)', async () => {
    const before = new AbortController();
    before.abort(new Error('cancelled early'));
    await expect(trainDetector(train, { labels, ...tiny, signal: before.signal })).rejects.toThrow('cancelled early');

    const during = new AbortController();
    const seen: number[] = [];
    const run = trainDetector(train, {
      labels,
      ...tiny,
      epochs: 1000,
      signal: during.signal,
      onProgress: (p) => {
        seen.push(p.epoch);
        if (p.epoch === 1) during.abort(new Error('cancelled'));
      },
    });
    await expect(run).rejects.toThrow('cancelled');
    expect(seen).toEqual([1]);

    // Aborting while the workers are mid-step rejects at once (the workers are terminated, not awaited).
    const midStep = new AbortController();
    const running = trainDetector(train, {
      labels,
      ...tiny,
      epochs: 1000,
      signal: midStep.signal,
      onProgress: () => setTimeout(() => midStep.abort(new Error('cancelled mid-step')), 0),
    });
    await expect(running).rejects.toThrow('cancelled mid-step');
  });

  it('refuses boxes whose label is not in labels', async () => {
    const odd = [{ ...train[0]!, boxes: [{ label: 'hexagon', x: 1, y: 1, width: 10, height: 10 }] }];
    await expect(trainDetector(odd, { labels, ...tiny })).rejects.toThrow(/hexagon/);
  });
});
