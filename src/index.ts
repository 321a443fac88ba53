/**
 * The engine's public API (`import … from 'aasp-webgpu'`): the GPU runtime, tensors with autograd,
 * ops, nn modules, optimisers and the seeded generator. The AaSP model lives in `aasp-webgpu/aasp`,
 * the audio front end in `aasp-webgpu/audio`. Op definitions (`*Specs`), float64 references and
 * runtime swapping are test plumbing and stay internal: test/public-api.test.ts keeps this list and
 * src/ops in step.
 */
export { init, runtime, Runtime, grid1d, type DispatchArgs } from './gpu/runtime';
export { Kernel, kernelFamily } from './gpu/kernel';
export { tuningFor, setTuning, withTuning, PORTABLE_TUNING, type Tuning } from './gpu/tuning';
export type { PoolStats } from './gpu/pool';
export type { DeviceOptions, DeviceFeatures } from './gpu/device';
export { Tensor, tensor, empty, fromBuffer, scope, scopeAsync, keep, numel, type DType } from './tensor/tensor';
export { backward, noGrad, freeGraph, isGradEnabled } from './tensor/autograd';
export {
  // elementwise
  neg, abs, exp, log, log1p, sqrt, rsqrt, sin, cos, tanh, sigmoid, softplus, relu, gelu, square,
  add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge, where,
  // reductions
  sum, mean, max, min, variance, std,
  // shape
  reshape, expand, permute, transpose, unsqueeze, slice, concat, stack,
  // linear algebra and nn
  matmul, linear, mlp, conv1d, conv2d, softmax, logSoftmax, layerNorm, crossEntropy, cosineSimilarity, l2Normalize,
  attention, selfAttention, crossAttention,
  // indexing
  indexSelect, indexAdd, patchRows, type TokenPick,
  // creation
  zeros, ones, full, arange, randn, rand, truncNormal, zerosLike, onesLike,
} from './ops';
export { Rng, type RngState } from './util/rng';
export * from './nn';
export * from './optim';
