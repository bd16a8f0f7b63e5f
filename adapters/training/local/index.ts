/**
 * The `local` training backend's built-in CPU object detector (CenterNet-style, tfjs on wasm, worker threads).
 * Train with trainDetector, store serializeArtifact's blob, load with parseArtifact + loadDetector.
 */
export { trainDetector, trainingDefaults } from './train';
export type { TrainDetectorOptions, TrainProgress } from './train';
export { loadDetector } from './predict';
export type { Detection, Detector, PredictOptions } from './predict';
export { artifactFormat, parseArtifact, serializeArtifact, validateArtifact } from './artifact';
export type { ArtifactWeight, DetectorArtifact, DetectorPreprocessing } from './artifact';
export { emptyTargets, gaussianRadius, letterbox, prepareDataset, writeInput, writeTargets } from './dataset';
export type { ImageTargets, InputBox, Letterboxed, PreparedDataset, TrainingBox, TrainingExample } from './dataset';
export { decodeDetections, toImagePixels } from './decode';
export type { InputDetection } from './decode';
export { defaultArchitecture, forwardMacs, outputStride, parameterCount } from './model';
export type { DetectorArchitecture } from './model';
export { batchNormRelu } from './normalization';
export { useWasmBackend, wasmBinaryFolder } from './wasmBackend';
export { axisGeometry, conv2d, filterGradient, inputGradient } from './convolution';
export type { AxisGeometry, Conv2dOptions, ConvPadding } from './convolution';
