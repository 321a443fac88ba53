// The op set, and the list of op definitions the shared test helper checks.
import { unarySpecs } from './unary';
import { binarySpecs } from './binary';
import { reductionSpecs } from './reduce';
import { shapeSpecs } from './shape';
import { matmulSpecs } from './matmul';
import { nnSpecs } from './nn';
import { indexSpecs } from './index-ops';
import { convSpecs } from './conv';
import { linearSpecs } from './linear';
import { attentionSpecs } from './attention';
import { patchRowsSpecs } from './patch-rows';
import type { OpSpec } from './spec';

export * from './unary';
export * from './binary';
export * from './reduce';
export * from './shape';
export * from './matmul';
export * from './nn';
export * from './index-ops';
export * from './conv';
export * from './linear';
export * from './attention';
export * from './patch-rows';
export * from './create';
export type { OpSpec } from './spec';

export const allOpSpecs: OpSpec[] = [
  ...unarySpecs, ...binarySpecs, ...reductionSpecs, ...shapeSpecs, ...matmulSpecs, ...nnSpecs, ...indexSpecs, ...convSpecs, ...linearSpecs, ...attentionSpecs, ...patchRowsSpecs,
];
