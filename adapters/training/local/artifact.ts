import os from 'node:os';
import { inferenceParamSpecs, sizeOf, type DetectorArchitecture } from './model';

/**
 * The trained detector as one self-describing blob (stored in blob storage, loaded by predict.ts).
 *
 * Layout of serializeArtifact's output:
 *   bytes 0–7    magic "MLACNET\0"
 *   bytes 8–11   header length H (uint32, little-endian)
 *   bytes 12…    header: UTF-8 JSON of every field except `data`, padded with spaces to a multiple of 4 bytes
 *   then         `data`: the weights as little-endian float32, concatenated in `weights` order
 * JSON first so a human (or a future version) can read what the blob is without tfjs; binary weights so a 270k-
 * parameter model is ~1 MB rather than ~5 MB of JSON numbers.
 *
 * The weights are inference weights: batch normalisation already folded into each convolution (model.ts).
 */

export const artifactFormat = 'mlassist-centernet/1';

export interface ArtifactWeight {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface DetectorPreprocessing {
  /** Scale by inputSize / max(width, height), pad right/bottom: see dataset.ts. */
  resize: 'letterbox-top-left';
  /** Input = (rgb/255 − mean)/std. */
  mean: number;
  std: number;
  /** Grey level (0–255) of the letterbox padding. */
  padValue: number;
}

export interface DetectorArtifact {
  format: typeof artifactFormat;
  labels: string[];
  inputSize: number;
  architecture: DetectorArchitecture & { outputStride: number };
  preprocessing: DetectorPreprocessing;
  weights: ArtifactWeight[];
  /** Concatenated float32 (little-endian) weights, in `weights` order. */
  data: Buffer;
  /** Informational: how it was trained. */
  training?: {
    examples: number;
    epochs: number;
    batchSize: number;
    workers: number;
    seed: number;
    learningRate: number;
    seconds: number;
    finalLoss: number;
    parameters: number;
  };
}

const magic = Buffer.from('MLACNET\0', 'latin1');

function assertLittleEndian(): void {
  // Float32Array views use the host's byte order; every platform we deploy to (x64, arm64) is little-endian.
  if (os.endianness() !== 'LE') throw new Error('detector artifacts need a little-endian host');
}

export function serializeArtifact(artifact: DetectorArtifact): Buffer {
  assertLittleEndian();
  validateArtifact(artifact);
  const { data, ...header } = artifact;
  let json = Buffer.from(JSON.stringify({ ...header, dataBytes: data.length }), 'utf8');
  if (json.length % 4 !== 0) json = Buffer.concat([json, Buffer.alloc(4 - (json.length % 4), 0x20)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length, 0);
  return Buffer.concat([magic, length, json, data]);
}

export function parseArtifact(blob: Buffer): DetectorArtifact {
  assertLittleEndian();
  if (blob.length < 12 || !blob.subarray(0, 8).equals(magic)) throw new Error('not a detector artifact (bad magic)');
  const headerLength = blob.readUInt32LE(8);
  if (12 + headerLength > blob.length) throw new Error('detector artifact: truncated header');
  const header = JSON.parse(blob.subarray(12, 12 + headerLength).toString('utf8')) as Omit<DetectorArtifact, 'data'> & {
    dataBytes: number;
  };
  const { dataBytes, ...rest } = header;
  const data = Buffer.from(blob.subarray(12 + headerLength)); // a copy: independent of the caller's buffer
  if (data.length !== dataBytes)
    throw new Error(`detector artifact: ${data.length} data bytes, header says ${dataBytes}`);
  const artifact: DetectorArtifact = { ...rest, data };
  validateArtifact(artifact);
  return artifact;
}

/** Checks format, labels and that the weights are exactly the ones the architecture needs. */
export function validateArtifact(a: DetectorArtifact): void {
  if (a.format !== artifactFormat) throw new Error(`detector artifact: unsupported format ${String(a.format)}`);
  if (!Array.isArray(a.labels) || a.labels.length === 0) throw new Error('detector artifact: no labels');
  const expected = inferenceParamSpecs(a.architecture, a.labels.length);
  if (expected.length !== a.weights.length) throw new Error('detector artifact: weights do not match the architecture');
  let bytes = 0;
  expected.forEach((spec, i) => {
    const w = a.weights[i]!;
    if (w.name !== spec.name || w.dtype !== 'float32' || w.shape.join('x') !== spec.shape.join('x')) {
      throw new Error(`detector artifact: weight ${i} is ${w.name} ${w.shape.join('x')}, expected ${spec.name}`);
    }
    bytes += sizeOf(w.shape) * 4;
  });
  if (bytes !== a.data.length) throw new Error(`detector artifact: ${a.data.length} data bytes, weights need ${bytes}`);
}

/** The weights as float32 arrays by name (copies, correctly aligned whatever the Buffer's offset). */
export function artifactTensors(a: DetectorArtifact): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const w of a.weights) {
    const n = sizeOf(w.shape);
    const values = new Float32Array(n);
    new Uint8Array(values.buffer).set(a.data.subarray(offset, offset + n * 4));
    out.set(w.name, { shape: w.shape, values });
    offset += n * 4;
  }
  return out;
}
