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

export { empty, numel, runtime };
