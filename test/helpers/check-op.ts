/**
 * The one helper that checks an op definition (src/ops/spec.ts): the GPU forward against the float64
 * reference, and the GPU backward (autograd through the op's backward rule) against central finite
 * differences of the float64 reference, with a random upstream gradient. The comparison itself lives in
 * op-check-core.ts (no vitest there) so the browser test page runs the very same check.
 */
import { expect } from 'vitest';
import type { OpSpec } from '../../src/ops/spec';
import { runOpCase } from './op-check-core';

export { worst } from './op-check-core';

/** Check forward and backward of one case of an op. */
export async function checkOp(spec: OpSpec, caseIndex: number): Promise<void> {
  const r = await runOpCase(spec, caseIndex);
  const shapes = `[${r.shapes.map((s) => `[${s}]`)}]`;
  expect(r.outShape, `${spec.name}: output shape`).toEqual(r.wantShape);
  expect(r.forward, `${spec.name} forward on ${shapes}: worst element ${JSON.stringify(r.forward)}`).toBeNull();
  for (const g of r.grads) {
    expect(g.received, `${spec.name}: input ${g.input} received no gradient`).toBe(true);
    expect(g.worst, `${spec.name} gradient of input ${g.input} on ${shapes}: worst ${JSON.stringify(g.worst)} (element ${g.element})`).toBeNull();
  }
}
