/**
 * GPU memory stays flat over training steps: after the first step, live buffers and live bytes
 * are identical step after step (tensors are freed by scopes; gradients by zeroGrad).
 */
import { expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { configFromObject, grid, maskCounts } from '../src/aasp/config';
import { AaspStudent, Teacher } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks } from '../src/aasp/masking';
import { applyUpdate, computeGradients, makeOptimizer, makeSchedule } from '../src/train/step';

const { rt } = useGpu();

it.each([0, 0.5])('live buffers and bytes are flat across steps (AaPE on, contrastive on, monitors on/off, reconWeight %s)', { timeout: 600_000 }, async (reconWeight) => {
  const cfg = configFromObject({ base: 'tiny', D: 32, depth: 2, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 3, reconWeight }, 'leak-test');
  const rng = new Rng(4);
  const student = new AaspStudent(cfg, rng, makeEmbedder);
  const teacher = new Teacher(student, makeEmbedder);
  const opt = makeOptimizer(student, cfg, 1e-3);
  const sched = makeSchedule(cfg, 10, 1e-3);
  const { Fp, Tp } = grid(cfg);
  const B = 2;
  const seen: { liveBuffers: number; liveBytes: number }[] = [];
  for (let s = 0; s < 5; s++) {
    const x = tensor(Float32Array.from({ length: B * 32 * 64 }, () => rng.normal()), [B, 32, 64]);
    const ms = drawMasks(rng, s % 2 ? 'random' : 'inverse-block', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
    const r = await computeGradients(student, teacher, x, ms, s % 2 === 0);
    expect(Number.isFinite(r.loss)).toBe(true);
    applyUpdate(student, teacher, opt, sched, cfg, s, r.gradNorm);
    x.dispose();
    await rt().sync();
    const st = rt().stats();
    seen.push({ liveBuffers: st.liveBuffers, liveBytes: st.liveBytes });
  }
  for (let s = 2; s < seen.length; s++) expect(seen[s]).toEqual(seen[1]);
  // Everything alive is a parameter, a teacher copy, a moment, or a fixed table: nothing per step.
  const nParams = student.parameters().length;
  expect(seen[1].liveBuffers).toBeLessThan(nParams * 4 + 16);
  opt.dispose();
  teacher.dispose();
  student.dispose();
  await rt().sync();
  expect(rt().stats().liveBuffers).toBe(0);
});
