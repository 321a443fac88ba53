// Every WGSL file, bundled as text, and the kernels it defines.
import unarySrc from '../../shaders/unary.wgsl?raw';
import binarySrc from '../../shaders/binary.wgsl?raw';
import copySrc from '../../shaders/copy.wgsl?raw';
import copyStridedSrc from '../../shaders/copy_strided.wgsl?raw';
import reduceSrc from '../../shaders/reduce.wgsl?raw';
import matmulSrc from '../../shaders/matmul.wgsl?raw';
import softmaxSrc from '../../shaders/softmax.wgsl?raw';
import layernormSrc from '../../shaders/layernorm.wgsl?raw';
import indexSrc from '../../shaders/index.wgsl?raw';
import convSrc from '../../shaders/conv.wgsl?raw';
import optimSrc from '../../shaders/optim.wgsl?raw';
import matmulSgSrc from '../../shaders/matmul_sg.wgsl?raw';
import matmulTileSrc from '../../shaders/matmul_tile.wgsl?raw';
import attentionSrc from '../../shaders/attention.wgsl?raw';
import optimMultiSrc from '../../shaders/optim_multi.wgsl?raw';
import { Kernel, kernelFamily } from '../gpu/kernel';
import { expandTemplate, type TemplateParams } from '../gpu/template';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type BinaryName, type ReduceName, type UnaryName } from './elementwise-table';

// Templates (expanded per parameter set by templateKernel).
export const matmulSgSource = matmulSgSrc;
export const matmulTileSource = matmulTileSrc;
export const attentionSource = attentionSrc;
export const copyStridedSource = copyStridedSrc;
export const optimMultiSource = optimMultiSrc;

/** The kernels of a WGSL file without template parameters (its `//#include`s spliced in). */
const family = (file: string, source: string, inserts: Record<string, string> = {}) => kernelFamily(file, expandTemplate(source, {}, inserts));

// The elementwise kernels' switches come from the op table (src/ops/elementwise-table.ts): an op's
// code (the kernel's OP override) is its row's index, asked for by name, never written as a number.
function opSwitch<R extends { name: string }>(rows: readonly R[], expr: (row: R) => string | null): string {
  return rows
    .map((r, i) => { const e = expr(r); return e === null ? null : `    case ${i}u: { return ${e}; } // ${r.name}`; })
    .filter((l): l is string => l !== null)
    .join('\n');
}
const codeOf = (rows: readonly { name: string }[], name: string): number => {
  const i = rows.findIndex((r) => r.name === name);
  if (i < 0) throw new Error(`op "${name}" is not in src/ops/elementwise-table.ts`);
  return i;
};
export const unaryCode = (name: UnaryName): number => codeOf(UNARY_OPS, name);
export const binaryCode = (name: BinaryName): number => codeOf(BINARY_OPS, name);
export const reduceCode = (name: ReduceName): number => codeOf(REDUCE_OPS, name);
export const unaryK = family('unary', unarySrc, {
  FORWARD: opSwitch(UNARY_OPS, (r) => r.f), DERIVATIVE: opSwitch(UNARY_OPS, (r) => r.df),
});
export const copyK = family('copy', copySrc);
export const matmulK = family('matmul', matmulSrc);
export const softmaxSource = softmaxSrc;
export const layernormSource = layernormSrc;
/** Index kernels moving f32 (V = 1) or vec4f (V = 4) units of the inner size. */
export const indexK = (entry: string, V: 1 | 4 = 1): Kernel => templateKernel('index', indexSrc, { V }, entry);
export const convK = family('conv', convSrc);
export const optimK = family('optim', optimSrc);

const templated = new Map<string, Kernel>();

const reduceInserts = {
  INIT: opSwitch(REDUCE_OPS, (r) => r.init), COMBINE: opSwitch(REDUCE_OPS, (r) => r.combine), FINISH: opSwitch(REDUCE_OPS, (r) => r.finish),
};
const binaryInserts = { FORWARD: opSwitch(BINARY_OPS, (r) => r.f), DERIVATIVE: opSwitch(BINARY_OPS, (r) => r.df) };
/**
 * A kernel of shaders/binary.wgsl; OP: `binaryCode(name)`. RANK: the axes its broadcasting entries
 * (main, backward, where_main) walk, after merging; the others take the default.
 */
export const binaryKernel = (entry: string, RANK = 1): Kernel => templateKernel('binary', binarySrc, { RANK }, entry, binaryInserts);

/** A reduction kernel (shaders/reduce.wgsl) for kept and reduced ranks KR, RR; OP: `reduceCode(name)`. */
export const reduceKernel = (entry: string, KR: number, RR: number): Kernel => templateKernel('reduce', reduceSrc, { KR, RR }, entry, reduceInserts);

/**
 * A kernel expanded from a WGSL template (src/gpu/template.ts) with integer parameters; one Kernel per
 * parameter set, so pipelines are cached per variant (the name carries the parameters).
 */
export function templateKernel(file: string, source: string, params: TemplateParams, entry = 'main', inserts: Record<string, string> = {}): Kernel {
  const tag = Object.keys(params).sort().map((k) => `${k}${params[k]}`).join(',');
  const name = `${file}[${tag}]:${entry}`;
  let k = templated.get(name);
  if (!k) { k = new Kernel(name, expandTemplate(source, params, inserts), entry); templated.set(name, k); }
  return k;
}
