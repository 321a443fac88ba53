export { Module, ModuleList } from './module';
export { Linear, LayerNorm, Conv1d, Conv2d, initWeight, type LinearInit } from './layers';
