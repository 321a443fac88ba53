// Learning-rate factors by parameter-name prefix (config `lrScale`): which factor each parameter
// takes, and that one AdamW step moves a scaled parameter by exactly that factor times what it
// moves without it (the first Adam step is linear in the rate), leaving the others bit for bit.
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { ConfigError, configFromObject, grid, maskCounts } from '../src/aasp/config';
import { AaspStudent, Teacher } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks } from '../src/aasp/masking';
import { AdamW } from '../src/optim/optimizers';
import { applyUpdate, computeGradients, lrScales, makeOptimizer, makeSchedule } from '../src/train/step';

useGpu();

const SMALL = { base: 'tiny', D: 32, depth: 2, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 64, masks: 2 };

describe('lrScale', () => {
  it('each parameter takes the factor of its longest prefix, 1 without one; a prefix naming nothing is a config error', () => {
    const cfg = configFromObject({ ...SMALL, lrScale: { 'blocks.': 2, 'blocks.1.attn.': 5 } }, 'ls.json');
    const student = new AaspStudent(cfg, new Rng(1), makeEmbedder);
    const s = lrScales(student, cfg);
    expect(s.size).toBe(student.namedParameters().length);
    for (const [n, f] of s) expect(f, n).toBe(n.startsWith('blocks.1.attn.') ? 5 : n.startsWith('blocks.') ? 2 : 1);
    expect([...s.values()].filter((f) => f === 5).length).toBeGreaterThan(0);
    const bad = configFromObject({ ...SMALL, lrScale: { 'block.': 2 } }, 'bad.json');
    expect(() => lrScales(student, bad)).toThrow(ConfigError);
    expect(() => makeOptimizer(student, bad, 1e-3)).toThrow('config bad.json: lrScale prefix "block." names no student parameter (they start with patch_embed, aape, blocks, norm, predictor, proj)');
    student.dispose();
  });

  it.each([true, false])('a group with lrScale f steps as AdamW at f × lr (packed %s)', async (packed) => {
    const rng = new Rng(3);
    const make = () => tensor(Float32Array.from({ length: 37 }, (_, i) => Math.sin(i + 1)), [37]);
    const grad = Float32Array.from({ length: 37 }, () => rng.normal());
    const a = make(), b = make();
    a.grad = tensor(grad, [37]);
    b.grad = tensor(grad, [37]);
    const scaled = new AdamW([{ params: [['a', a]], weightDecay: 0.1, lrScale: 0.25 }], { lr: 4e-2 });
    const plain = new AdamW([{ params: [['b', b]], weightDecay: 0.1 }], { lr: 1e-2 });
    scaled.packed = plain.packed = packed;
    for (let k = 0; k < 3; k++) { scaled.step(); plain.step(); }
    expect(await a.toArray()).toEqual(await b.toArray());
    for (const t of [a, b, a.grad!, b.grad!]) t.dispose();
    scaled.dispose(); plain.dispose();
  });

  it('one training step moves the scaled parameters by the factor times the unscaled step, the others equally', { timeout: 300_000 }, async () => {
    const moved = async (lrScale: Record<string, number>) => {
      const cfg = configFromObject({ ...SMALL, lrScale }, 'ls.json');
      const rng = new Rng(4);
      const student = new AaspStudent(cfg, rng, makeEmbedder);
      const teacher = new Teacher(student, makeEmbedder);
      const before = new Map<string, Float32Array>();
      for (const [n, t] of student.namedParameters()) before.set(n, (await t.toArray()) as Float32Array);
      const opt = makeOptimizer(student, cfg, 1e-3);
      const { Fp, Tp } = grid(cfg);
      const x = tensor(Float32Array.from({ length: 2 * 32 * 64 }, () => rng.normal()), [2, 32, 64]);
      const r = await computeGradients(student, teacher, x, drawMasks(rng, 'random', 2, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked), false);
      applyUpdate(student, teacher, opt, makeSchedule(cfg, 10, 1e-3), cfg, 3, r.gradNorm);
      const delta = new Map<string, Float32Array>();
      for (const [n, t] of student.namedParameters()) {
        const after = (await t.toArray()) as Float32Array;
        delta.set(n, after.map((v, i) => v - before.get(n)![i]));
      }
      x.dispose(); opt.dispose(); teacher.dispose(); student.dispose();
      return delta;
    };
    const plain = await moved({}), scaled = await moved({ 'blocks.0.': 4 });
    let checked = 0;
    for (const [n, d] of plain) {
      const s = scaled.get(n)!;
      if (!n.startsWith('blocks.0.')) { expect(s, n).toEqual(d); continue; }
      const peak = Math.max(...d.map(Math.abs));
      if (peak === 0) continue;
      for (let i = 0; i < d.length; i++) expect(Math.abs(s[i] - 4 * d[i]), `${n}[${i}]`).toBeLessThan(1e-3 * peak + 1e-9);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
