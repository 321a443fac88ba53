// Every WGSL file, bundled as text, and the kernels it defines.
import unarySrc from '../../shaders/unary.wgsl?raw';
import binarySrc from '../../shaders/binary.wgsl?raw';
import copySrc from '../../shaders/copy.wgsl?raw';
import reduceSrc from '../../shaders/reduce.wgsl?raw';
import matmulSrc from '../../shaders/matmul.wgsl?raw';
import softmaxSrc from '../../shaders/softmax.wgsl?raw';
import layernormSrc from '../../shaders/layernorm.wgsl?raw';
import indexSrc from '../../shaders/index.wgsl?raw';
import convSrc from '../../shaders/conv.wgsl?raw';
import optimSrc from '../../shaders/optim.wgsl?raw';
import { kernelFamily } from '../gpu/kernel';

export const unaryK = kernelFamily('unary', unarySrc);
export const binaryK = kernelFamily('binary', binarySrc);
export const copyK = kernelFamily('copy', copySrc);
export const reduceK = kernelFamily('reduce', reduceSrc);
export const matmulK = kernelFamily('matmul', matmulSrc);
export const softmaxK = kernelFamily('softmax', softmaxSrc);
export const layernormK = kernelFamily('layernorm', layernormSrc);
export const indexK = kernelFamily('index', indexSrc);
export const convK = kernelFamily('conv', convSrc);
export const optimK = kernelFamily('optim', optimSrc);
