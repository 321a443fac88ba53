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

// Templates (expanded per parameter set by templateKernel).
export const matmulSgSource = matmulSgSrc;
export const matmulTileSource = matmulTileSrc;
export const attentionSource = attentionSrc;
export const copyStridedSource = copyStridedSrc;
export const optimMultiSource = optimMultiSrc;

export const unaryK = kernelFamily('unary', unarySrc);
export const binaryK = kernelFamily('binary', binarySrc);
export const copyK = kernelFamily('copy', copySrc);
export const reduceSource = reduceSrc;
export const matmulK = kernelFamily('matmul', matmulSrc);
export const softmaxSource = softmaxSrc;
export const layernormSource = layernormSrc;
export const indexK = kernelFamily('index', indexSrc);
export const convK = kernelFamily('conv', convSrc);
export const optimK = kernelFamily('optim', optimSrc);

const templated = new Map<string, Kernel>();

/**
 * A kernel expanded from a WGSL template (src/gpu/template.ts) with integer parameters; one Kernel per
 * parameter set, so pipelines are cached per variant (the name carries the parameters).
 */
export function templateKernel(file: string, source: string, params: TemplateParams, entry = 'main'): Kernel {
  const tag = Object.keys(params).sort().map((k) => `${k}${params[k]}`).join(',');
  const name = `${file}[${tag}]:${entry}`;
  let k = templated.get(name);
  if (!k) { k = new Kernel(name, expandTemplate(source, params), entry); templated.set(name, k); }
  return k;
}
