import type { ImagePrediction, NormalizedBox } from '../../../shared/ports/trainingBackend';

/**
 * Prediction part files → ImagePrediction. A line is what scoring/score.py writes: the AutoML object detection
 * model's output row (`{"boxes": [{"box": {"topX","topY","bottomX","bottomY"}, "label", "score"}]}`, coordinates
 * already relative to the image) plus the manifest's `taskId` and the image's `filename` (its blobPath). A line
 * without a taskId is matched to the manifest by filename, so output of AutoML's own batch scoring (filename only)
 * reads too.
 */

/** One line of the inference manifest (InferenceInput.manifest). */
export interface ManifestEntry {
  taskId: string;
  blobPath: string;
}

export function parseManifest(text: string): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const value = JSON.parse(line) as { taskId?: unknown; blobPath?: unknown };
    if (typeof value.taskId === 'string' && typeof value.blobPath === 'string') {
      entries.push({ taskId: value.taskId, blobPath: value.blobPath });
    }
  }
  return entries;
}

/** taskId by filename: the blobPath itself, or a path ending in it (a mount path such as /mnt/.../a/1.jpg). */
export function taskIdLookup(manifest: readonly ManifestEntry[]): (filename: string) => string | undefined {
  const byPath = new Map(manifest.map((e) => [e.blobPath.replace(/^\/+/, ''), e.taskId]));
  return (filename) => {
    const clean = filename.replace(/\\/g, '/').replace(/^\/+/, '');
    const exact = byPath.get(clean);
    if (exact !== undefined) return exact;
    const parts = clean.split('/');
    for (let i = 1; i < parts.length; i++) {
      const hit = byPath.get(parts.slice(i).join('/'));
      if (hit !== undefined) return hit;
    }
    return undefined;
  };
}

const clamp01 = (n: number) => Math.min(1, Math.max(0, n));

type ScoredBox = NormalizedBox & { score: number };

/** One model box, or undefined when it is not a usable box (missing numbers, no area, no label). */
export function toScoredBox(raw: unknown): ScoredBox | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const item = raw as { box?: unknown; label?: unknown; score?: unknown };
  const box = (typeof item.box === 'object' && item.box !== null ? item.box : item) as Record<string, unknown>;
  const coords = [box.topX, box.topY, box.bottomX, box.bottomY];
  if (!coords.every((c) => typeof c === 'number' && Number.isFinite(c))) return undefined;
  const [x1, y1, x2, y2] = (coords as number[]).map(clamp01) as [number, number, number, number];
  const label = typeof item.label === 'string' ? item.label : typeof item.label === 'number' ? String(item.label) : '';
  const score = item.score;
  if (label === '' || typeof score !== 'number' || !Number.isFinite(score)) return undefined;
  const topX = Math.min(x1, x2);
  const bottomX = Math.max(x1, x2);
  const topY = Math.min(y1, y2);
  const bottomY = Math.max(y1, y2);
  if (bottomX - topX <= 0 || bottomY - topY <= 0) return undefined;
  return { label, topX, topY, bottomX, bottomY, score };
}

export interface ParsedPart {
  predictions: ImagePrediction[];
  /** Lines that could not be read or matched to a task, for the log. */
  skipped: string[];
}

/**
 * The predictions of one part. Lines that are not JSON or name no known task are skipped and reported, not
 * thrown: one bad line must not keep a whole part (and its prelabel activity) failing forever.
 */
export function parsePredictionPart(text: string, lookup?: (filename: string) => string | undefined): ParsedPart {
  const predictions: ImagePrediction[] = [];
  const skipped: string[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let value: { taskId?: unknown; filename?: unknown; boxes?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      skipped.push(`line ${index + 1}: not JSON`);
      return;
    }
    const taskId =
      typeof value.taskId === 'string' && value.taskId !== ''
        ? value.taskId
        : typeof value.filename === 'string'
          ? lookup?.(value.filename)
          : undefined;
    if (taskId === undefined) {
      skipped.push(`line ${index + 1}: no taskId and no manifest image named ${JSON.stringify(value.filename)}`);
      return;
    }
    const boxes = Array.isArray(value.boxes)
      ? value.boxes.map(toScoredBox).filter((b): b is ScoredBox => b !== undefined)
      : [];
    predictions.push({ taskId, boxes });
  });
  return { predictions, skipped };
}
