export { SGD, AdamW, emaUpdate, globalGradNorm, clipScale, type ParamGroup, type AdamWOptions } from './optimizers';
