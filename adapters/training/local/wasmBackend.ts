import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * The one place that switches tfjs to its WebAssembly backend in Node.
 *
 * Why wasm: the pure-JS cpu backend's convolution gradients are ~700× slower, and tfjs-node cannot be installed here
 * (its install downloads libtensorflow). The .wasm binaries ship inside the @tensorflow/tfjs-backend-wasm tarball, so
 * we point the loader at the package's own dist/ folder: nothing is fetched at run time.
 *
 * Threads: tfjs 4.22 reports no wasm multithreading under Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false when
 * IS_NODE), so each backend instance is single-threaded; parallelism comes from worker_threads (see train.ts).
 *
 * Idempotent: concurrent and repeated calls share one initialisation per thread (each worker thread has its own tfjs).
 */

let initialised: Promise<void> | undefined;

/** The folder holding tfjs-backend-wasm*.wasm, with a trailing separator as setWasmPaths expects for a prefix. */
export function wasmBinaryFolder(): string {
  const packageJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return path.join(path.dirname(packageJson), 'dist') + path.sep;
}

export async function useWasmBackend(): Promise<typeof tf> {
  initialised ??= (async () => {
    // setWasmPaths must run before the backend's first initialisation, hence once per thread.
    setWasmPaths(wasmBinaryFolder());
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend failed to initialise');
  })().catch((error: unknown) => {
    // Let a later call retry instead of caching the failure forever.
    initialised = undefined;
    throw error;
  });
  await initialised;
  // Someone (e.g. a test computing reference values) may have selected another backend since; switching back to an
  // initialised backend is cheap.
  if (tf.getBackend() !== 'wasm') await tf.setBackend('wasm');
  await tf.ready();
  return tf;
}
