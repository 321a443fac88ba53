import { empty, numel, type Tensor } from '../tensor/tensor';
import { grid1d, runtime } from '../gpu/runtime';
import { broadcastShapes, broadcastStrides, stridesOf } from '../tensor/ndarray';

export { broadcastShapes, broadcastStrides, stridesOf };

/** Workgroup grid for one thread per element with 256-thread groups. */
export function grid(n: number, wg = 256): [number, number] {
  return grid1d(Math.ceil(n / wg));
}

export function pad8(a: readonly number[]): number[] {
  if (a.length > 8) throw new Error(`rank ${a.length} exceeds the supported 8`);
  return [...a, ...new Array(8 - a.length).fill(0)];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertShape(op: string, what: string, got: readonly number[], want: readonly number[]): void {
  if (!sameShape(got, want)) throw new Error(`${op}: ${what} has shape [${got}], expected [${want}]`);
}

export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function checkF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) if (t.dtype !== 'f32') throw new Error(`${op}: expected a float32 tensor, got ${t.dtype} [${t.shape}]`);
}

/**
 * The axes of an elementwise walk over `shape`, read through one stride list per operand, as few
 * axes as index the same elements: size-1 axes dropped, neighbours merged where every operand's
 * outer stride is its inner stride times the inner extent (broadcast strides 0 merge with 0). At
 * least one axis: when none is left, extent 1 with stride `unitStride` for every operand. Fewer
 * axes mean fewer index divisions per element in the kernels that walk them.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[], unitStride = 0): { shape: number[]; strides: number[][] } {
  const out = { shape: [] as number[], strides: strides.map(() => [] as number[]) };
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const k = out.shape.length - 1;
    if (k >= 0 && strides.every((s, j) => out.strides[j][k] === s[d] * shape[d])) {
      out.shape[k] *= shape[d];
      strides.forEach((s, j) => { out.strides[j][k] = s[d]; });
    } else {
      out.shape.push(shape[d]);
      strides.forEach((s, j) => out.strides[j].push(s[d]));
    }
  }
  return out.shape.length ? out : { shape: [1], strides: strides.map(() => [unitStride]) };
}

export { empty, numel, runtime };
