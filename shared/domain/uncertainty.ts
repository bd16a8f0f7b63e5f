/**
 * How sure a model is about an image, for the least-confident-first manual queue (uncertainty sampling). A box the
 * model scores near 0.5 is the one a person's label teaches it most about, so an image is as uncertain as its most
 * uncertain box: confidence = min over boxes of |2p − 1| on calibrated scores, in [0, 1]; 0 = a coin toss. Boxes the
 * model all but rules out (p < floor) are not doubts. An image with no box above the floor is taken to be confidently
 * empty (1), so images that may hold something come first.
 */
export const uncertaintyFloor = 0.05;

export function imageConfidence(calibratedScores: readonly number[]): number {
  let confidence = 1;
  for (const p of calibratedScores) {
    if (p < uncertaintyFloor) continue;
    confidence = Math.min(confidence, Math.abs(2 * p - 1));
  }
  return confidence;
}
