/**
 * `aasp-webgpu/aasp`: the AaSP model (docs/model.md) built on the engine: configurations, AaPE and
 * the fused SBLU op, the student encoder and its EMA teacher, masks, losses, schedules, one training
 * step (gradients, then update), and clip embeddings. Runs wherever the engine runs (Node, browsers).
 */
export {
  PRESETS, ConfigError, grid, maskCounts, validateConfig, configFromObject, peakLr,
  type AaspConfig, type MaskType,
} from './config';
export { AaPE, PatchEmbed, Sblu, AliasBranch, type AaPEConfig, type AliasFeatures } from './aape';
export { LambdaEncoder, OMEGA_LO, OMEGA_HI, type LambdaOutput } from './lambda-encoder';
export { sblu, sbluRef } from './sblu';
export { AaspEncoder, type Embedder, type EmbedderFactory } from './encoder';
export { makeEmbedder } from './embedder';
export { AaspStudent, Teacher, TEACHER_PREFIX } from './model';
export { Predictor, ProjHead, meanPool } from './heads';
export { Block, PredictorBlock, Mlp, SelfAttention, CrossAttention } from './blocks';
export { posEmbed2d } from './pos-embed';
export { drawMasks, type MaskSet } from './masking';
export { predictionLoss, infoNce, standardiseTargets, patchify, reconstructionLoss } from './losses';
export { lrAt, emaTauAt, warmupSteps } from './schedule';
export {
  makeSchedule, makeOptimizer, lrScales, computeGradients, applyUpdate,
  stepForward, type Schedule, type GradResult, type UpdateInfo, type StepForward,
} from '../train/step';
export { lossShares, groupOf, GROUPS, type LossShares, type TermShare, type LossTerm, type Group } from '../train/loss-shares';
export { embedClip, embedClips, cosine, type TokenEncoder, type ClipEmbedding, type EmbedOptions } from '../eval/embed';
export { stabilityCurve, type StabilityCurve } from '../eval/stability';
export { CHECKPOINT_FORMAT } from '../io/checkpoint';
export { decodeSafetensors, encodeSafetensors, type SafeTensor, type SafeFile } from '../io/safetensors';
