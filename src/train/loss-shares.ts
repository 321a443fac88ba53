/**
 * Which loss term trains which part of the student: one backward per term of the objective
 * (prediction, λ·contrastive, w·reconstruction, w·decorrelation) on the same batch and masks,
 * and the L2 norm of each term's gradient per module group. The terms' gradients add up to the
 * step's gradient (before clipping), which `lossShares` also returns, so a test can hold the
 * split to the step.
 * Adam normalises each parameter's update by its total gradient, so the term with the largest
 * share in a group decides the direction that group moves.
 */
import { Tensor, scope } from '../tensor/tensor';
import { backward } from '../tensor/autograd';
import { mul } from '../ops';
import type { AaspStudent, Teacher } from '../aasp/model';
import type { MaskSet } from '../aasp/masking';
import { decorrelationLoss, infoNce } from '../aasp/losses';
import { activeTerms, stepForward, type LossTerm } from './step';

export type { LossTerm } from './step';

export const GROUPS = ['patch embedding', 'encoder', 'predictor', 'proj', 'recon'] as const;
export type Group = (typeof GROUPS)[number];

/** The group of a student parameter name (the spec's layout). */
export function groupOf(name: string): Group {
  if (name.startsWith('patch_embed.') || name.startsWith('aape.')) return 'patch embedding';
  if (name.startsWith('predictor.')) return 'predictor';
  if (name.startsWith('proj.')) return 'proj';
  if (name.startsWith('recon.')) return 'recon';
  return 'encoder';
}

export interface TermShare {
  term: LossTerm;
  /** The term's value before its weight. */
  loss: number;
  weight: number;
  /** ‖d(weight·loss)/dθ‖ over each group's parameters (0 where the term does not reach). */
  norms: Record<Group, number>;
}

export interface LossShares {
  terms: TermShare[];
  /** ‖Σ_terms gradient‖ per group and over all parameters: the step's unclipped gradient. */
  total: Record<Group, number> & { all: number };
}

const zeroGroups = (): Record<Group, number> => Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;

/** One forward and backward per active term; leaves every `.grad` cleared. Single process only. */
export async function lossShares(student: AaspStudent, teacher: Teacher, x: Tensor, ms: MaskSet): Promise<LossShares> {
  const named = student.namedParameters();
  const sum = new Map<string, Float64Array>(named.map(([n, p]) => [n, new Float64Array(p.size)]));
  const terms: TermShare[] = [];
  student.zeroGrad();
  for (const [term, weight] of activeTerms(student.cfg)) {
    const f = stepForward(student, teacher, x, ms);
    const L = scope(() => {
      const cfg = student.cfg;
      const l = term === 'pred' ? f.lp : term === 'con' ? infoNce(f.e!, cfg.masks, cfg.tau) : term === 'decor' ? decorrelationLoss(f.g!) : f.lr!;
      return { value: l.detach(), weighted: mul(l, weight) };
    });
    backward(L.weighted);
    const norms = zeroGroups();
    for (const [n, p] of named) {
      if (!p.grad) continue;
      const g = await p.grad.toFloat32();
      const acc = sum.get(n)!;
      let sq = 0;
      for (let i = 0; i < g.length; i++) { sq += g[i] * g[i]; acc[i] += g[i]; }
      norms[groupOf(n)] += sq;
    }
    for (const k of GROUPS) norms[k] = Math.sqrt(norms[k]);
    terms.push({ term, loss: await L.value.item(), weight, norms });
    for (const t of new Set([f.target, f.outStd, f.lp, f.lr, f.g, f.e, L.value, L.weighted])) t?.dispose();
    student.zeroGrad();
  }
  const total = { ...zeroGroups(), all: 0 };
  for (const [n, acc] of sum) {
    let sq = 0;
    for (const v of acc) sq += v * v;
    total[groupOf(n)] += sq;
    total.all += sq;
  }
  for (const k of [...GROUPS, 'all'] as const) total[k] = Math.sqrt(total[k]);
  return { terms, total };
}
