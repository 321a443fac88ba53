import type { FeatureSet } from '../../src/eval/linear';
import type { Rng } from '../../src/util/rng';

/**
 * Features with a known answer for the probes: `nPerClass` points per class (interleaved labels)
 * around well-separated class means (feature d is 4 higher for class d mod C), so the classes are
 * linearly separable; `spread` is the noise's standard deviation, `shift` moves every feature.
 */
export function clusters(rng: Rng, nPerClass: number, C: number, dim: number, spread: number, shift = 0): FeatureSet {
  const n = nPerClass * C;
  const x = new Float32Array(n * dim), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % C;
    y[i] = c;
    for (let d = 0; d < dim; d++) x[i * dim + d] = shift + (d % C === c ? 4 : 0) + spread * rng.normal();
  }
  return { x, n, dim, y };
}
