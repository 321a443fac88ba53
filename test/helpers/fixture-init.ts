/**
 * Deterministic fixture values, bit-identical to test/reference/fixture_init.py (see
 * test/reference/FIXTURE_INIT.md), so golden tests can rebuild the fixture model's weights and inputs
 * instead of storing them. Also a small safetensors reader for the golden files.
 */
import { readFileSync } from 'node:fs';
import { decodeSafetensors, type SafeFile, type SafeTensor } from '../../src/io/safetensors';

/** softplus⁻¹(0.1) = ln(e^0.1 − 1) as a literal (libm exp/log differ by an ulp between platforms). */
export const BAND_A_CENTER = -2.2521684610440906;

/** FNV-1a 32-bit over the UTF-8 bytes of `name`. */
export function nameHash(name: string): number {
  let h = 2166136261;
  for (const b of new TextEncoder().encode(name)) {
    h = Math.imul((h ^ b) >>> 0, 16777619) >>> 0;
  }
  return h >>> 0;
}

/** u in [−1, 1) for flat index i (exact: x / 2^32 · 2 − 1 is representable in a double). */
function uniformAt(i: number, h: number): number {
  let x = (Math.imul(i, 2654435761) + h) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return (x / 4294967296) * 2 - 1;
}

/** float32(center + scale · u_i) for i = start .. start+count−1 (sum in double, one rounding to f32). */
export function fixtureValues(name: string, count: number, center: number, scale: number, start = 0): Float32Array {
  const h = nameHash(name);
  const out = new Float32Array(count);
  for (let k = 0; k < count; k++) out[k] = center + scale * uniformAt(start + k, h);
  return out;
}

export type FixtureRole =
  | { kind: 'weight' } // Linear / Conv weight: center 0, scale 1/sqrt(fan_in), fan_in = prod(shape[1:])
  | { kind: 'bias' } // 0, 0.02
  | { kind: 'norm.weight' } // LayerNorm weight: 1, 0.1
  | { kind: 'norm.bias' } // LayerNorm bias: 0, 0.05
  | { kind: 'band_bias' } // a-part (first M = shape[1]/2 columns) BAND_A_CENTER, 0.5; w-part 0, 1.5
  | { kind: 'fixed'; center: number; scale: number };

/** The role of a parameter by its spec name (the `teacher.` prefix is ignored). */
export function fixtureRole(name: string): FixtureRole {
  const n = name.startsWith('teacher.') ? name.slice('teacher.'.length) : name;
  if (n === 'aape.lambda_enc.band_bias') return { kind: 'band_bias' };
  if (n === 'aape.sblu.gain') return { kind: 'fixed', center: 1, scale: 0.2 };
  if (n === 'predictor.mask_token') return { kind: 'fixed', center: 0, scale: 0.02 };
  const parts = n.split('.');
  const isNorm = parts.length >= 2 && parts[parts.length - 2].includes('norm');
  if (n.endsWith('.weight')) return isNorm ? { kind: 'norm.weight' } : { kind: 'weight' };
  if (n.endsWith('.bias')) return isNorm ? { kind: 'norm.bias' } : { kind: 'bias' };
  throw new Error(`fixtureRole: no fixture role for parameter ${name}`);
}

export interface FixtureParamOptions {
  /** Override the role derived from the name. */
  role?: FixtureRole;
}

/**
 * Fixture value of a model parameter (row-major, float32), by the role table of FIXTURE_INIT.md.
 * Teacher copies (`teacher.X`) get exactly the values of `X`: the hash uses the student name.
 */
export function fixtureParam(name: string, shape: number[], opts: FixtureParamOptions = {}): Float32Array {
  const key = name.startsWith('teacher.') ? name.slice('teacher.'.length) : name;
  const role = opts.role ?? fixtureRole(name);
  const count = shape.reduce((a, b) => a * b, 1);
  switch (role.kind) {
    case 'weight': {
      const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
      return fixtureValues(key, count, 0, 1 / Math.sqrt(fanIn));
    }
    case 'bias': return fixtureValues(key, count, 0, 0.02);
    case 'norm.weight': return fixtureValues(key, count, 1, 0.1);
    case 'norm.bias': return fixtureValues(key, count, 0, 0.05);
    case 'fixed': return fixtureValues(key, count, role.center, role.scale);
    case 'band_bias': {
      const cols = shape[1], m = cols / 2;
      const a = fixtureValues(key, count, BAND_A_CENTER, 0.5);
      const w = fixtureValues(key, count, 0, 1.5);
      for (let i = 0; i < count; i++) if (i % cols >= m) a[i] = w[i];
      return a;
    }
  }
}

/** An input tensor: "input.x" uses center 0, scale 2 (the default here). */
export function fixtureInput(name: string, shape: number[], center = 0, scale = 2): Float32Array {
  return fixtureValues(name, shape.reduce((a, b) => a * b, 1), center, scale);
}

// ------------------------------------------------------------------------------------ safetensors
export type GoldenTensor = SafeTensor;
export type GoldenFile = SafeFile;

/** Read a golden safetensors file (synchronously, through the project's decoder). */
export function readSafetensors(path: string): GoldenFile {
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}

/** A tensor of a golden file, or an error naming what is missing. */
export function goldenTensor(file: GoldenFile, name: string): GoldenTensor {
  const t = file.tensors.get(name);
  if (!t) throw new Error(`golden tensor ${name} not found`);
  return t;
}
