/**
 * The public index lists its ops by name (so op specs and other test plumbing stay internal): every
 * export of src/ops is either public or named here as internal, so a new op cannot be forgotten.
 */
import { expect, it } from 'vitest';
import * as ops from '../src/ops';
import * as api from '../src/index';

// Test plumbing (op definitions, float64 references) and low-level kernels behind the public ops.
const INTERNAL = /Specs$|Ref$|^(sumTo|coalesceAxes|stridedCopy|matmulRaw)$/;

it('every op in src/ops is public, or internal by name', () => {
  const missing = Object.keys(ops).filter((k) => !(k in api) && !INTERNAL.test(k));
  expect(missing, 'export these from src/index.ts, or name them internal in this test').toEqual([]);
  expect(Object.keys(api).filter((k) => INTERNAL.test(k))).toEqual([]);
});
