import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const RELATIVE = path.join('adapters', 'training', 'azureml', 'scoring', 'score.py');

let cached: string | undefined;

/**
 * scoring/score.py, which the prediction job runs. tsc compiles only .ts into dist/, so the file is found by walking
 * up from this module to the folder holding adapters/ (the sources next to this file under vitest; the deployed
 * package root from dist/adapters/training/azureml/, where .funcignore keeps *.py).
 */
export function scoringScript(): string {
  if (cached !== undefined) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, RELATIVE);
    if (existsSync(file)) return (cached = readFileSync(file, 'utf8'));
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`The Azure ML scoring script ${RELATIVE} is missing from the deployment`);
}
