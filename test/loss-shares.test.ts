/**
 * The per-term gradient split (src/train/loss-shares.ts, `dist/loss-shares.js`): the terms'
 * gradients (all four terms on) add up to the training step's, each term reaches only the groups it can, nothing is
 * left in `.grad`, and the CLI prints and writes the split and fails bad input with one line.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { configFromObject, grid, maskCounts } from '../src/aasp/config';
import { AaspStudent, Teacher } from '../src/aasp/model';
import { makeEmbedder } from '../src/aasp/embedder';
import { drawMasks } from '../src/aasp/masking';
import { computeGradients } from '../src/train/step';
import { GROUPS, groupOf, lossShares } from '../src/train/loss-shares';

useGpu();

const SMALL = { base: 'tiny', D: 32, depth: 2, heads: 2, Dp: 16, predDepth: 1, predHeads: 2, projDim: 16, nMels: 32, cropFrames: 48, masks: 2, modes: 2, K: 9 };

describe('lossShares', () => {
  it('splits the step gradient exactly into prediction, λ·contrastive, w·reconstruction and w·decorrelation', { timeout: 300_000 }, async () => {
    const cfg = configFromObject({ ...SMALL, reconWeight: 3, decorWeight: 2 }, 'shares');
    const student = new AaspStudent(cfg, new Rng(1), makeEmbedder);
    const teacher = new Teacher(student, makeEmbedder);
    const rng = new Rng(2);
    const B = 3;
    const x = tensor(Float32Array.from({ length: B * 32 * 48 }, () => rng.normal()), [B, 32, 48]);
    const { Fp, Tp } = grid(cfg);
    const ms = drawMasks(rng, 'random', B, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
    const r = await lossShares(student, teacher, x, ms);
    expect(student.parameters().every((p) => !p.grad)).toBe(true);
    expect(r.terms.map((t) => [t.term, t.weight])).toEqual([['pred', 1], ['con', 0.5], ['rec', 3], ['decor', 2]]);
    const [pred, con, rec, decor] = r.terms;
    // Each term reaches only what it depends on.
    expect([pred.norms.proj, pred.norms.recon, con.norms.predictor, con.norms.recon, rec.norms.proj, decor.norms.predictor, decor.norms.proj, decor.norms.recon]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    for (const t of r.terms) for (const g of ['patch embedding', 'encoder'] as const) expect(t.norms[g]).toBeGreaterThan(0);

    const step = await computeGradients(student, teacher, x, ms);
    expect(Math.abs(r.total.all - step.gradNorm)).toBeLessThan(1e-4 * step.gradNorm);
    expect(Math.abs(pred.loss - step.lossPred)).toBeLessThan(1e-5);
    expect(Math.abs(con.loss - step.lossCon)).toBeLessThan(1e-5);
    expect(Math.abs(rec.loss - step.lossRec)).toBeLessThan(1e-5);
    expect(Math.abs(decor.loss - step.lossDecor)).toBeLessThan(1e-5);
    const byGroup = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<string, number>;
    for (const [n, p] of student.namedParameters()) for (const v of await p.grad!.toFloat32()) byGroup[groupOf(n)] += v * v;
    for (const g of GROUPS) expect(Math.abs(Math.sqrt(byGroup[g]) - r.total[g])).toBeLessThan(1e-4 * Math.max(r.total[g], 1e-6));
  });
});

describe('dist/loss-shares.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aasp-shares-'));
  const cfgPath = join(dir, 'small.json');
  writeFileSync(cfgPath, JSON.stringify(SMALL));
  const run = (...args: string[]) => {
    expect(existsSync('dist/loss-shares.js'), 'run `node build.mjs` first').toBe(true);
    return spawnSync(process.execPath, ['dist/loss-shares.js', ...args], { encoding: 'utf8', timeout: 300_000 });
  };

  it('prints the table and writes JSON; --lambda 0 drops the contrastive row', { timeout: 300_000 }, () => {
    const out = join(dir, 'shares.json');
    const r = run('--config', cfgPath, '--batch', '2', '--clip-seconds', '1', '--recon-weight', '2', '--lambda', '0', '--json', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^pred\t/m);
    expect(r.stdout).toMatch(/^rec\t/m);
    expect(r.stdout).not.toMatch(/^con\t/m);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.terms.map((t: { term: string }) => t.term)).toEqual(['pred', 'rec']);
    expect(j.total.all).toBeGreaterThan(0);
    expect(j.config.reconWeight).toBe(2);
  });

  it('a shiftPairs config measures the batch pre-training sees (its copies change the contrastive loss) and needs room for them', { timeout: 300_000 }, () => {
    const shifted = join(dir, 'shift.json'), a = join(dir, 'plain-shares.json'), b = join(dir, 'shift-shares.json');
    writeFileSync(shifted, JSON.stringify({ ...SMALL, shiftPairs: 1 }));
    for (const [cfg, out] of [[cfgPath, a], [shifted, b]]) {
      const r = run('--config', cfg, '--batch', '2', '--clip-seconds', '1', '--json', out);
      expect(r.status, r.stderr).toBe(0);
    }
    const con = (f: string) => JSON.parse(readFileSync(f, 'utf8')).terms.find((t: { term: string }) => t.term === 'con').loss;
    expect(con(b)).not.toBe(con(a));
    const bad = run('--config', shifted, '--batch', '1');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/shiftPairs 1 needs a batch of at least 2 clips, got 1 \(--batch\)/);
  });

  it('a missing checkpoint exits 2 with one line naming it', () => {
    const r = run('--checkpoint', join(dir, 'nope.safetensors'));
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/nope\.safetensors/);
  });
});
