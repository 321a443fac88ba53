/**
 * Public API: the GPU runtime, tensors with autograd, ops, and (as they land) nn modules,
 * optimisers, audio and the AaSP model.
 */
export { init, runtime, setRuntime, Runtime, grid1d, type DispatchArgs } from './gpu/runtime';
export { Kernel, kernelFamily } from './gpu/kernel';
export { tuningFor, setTuning, withTuning, type Tuning } from './gpu/tuning';
export type { PoolStats } from './gpu/pool';
export type { DeviceOptions, DeviceFeatures } from './gpu/device';
export { Tensor, tensor, empty, fromBuffer, scope, scopeAsync, keep, numel, type DType } from './tensor/tensor';
export { backward, noGrad, freeGraph, isGradEnabled } from './tensor/autograd';
export * from './ops';
export { Rng } from './util/rng';
export * from './nn';
export * from './optim';
