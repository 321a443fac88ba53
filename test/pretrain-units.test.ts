/**
 * Unit checks of the pre-training pieces: masking properties, the leak-free alias input, InfoNCE and
 * the prediction loss against float64 CPU computations, the LR/EMA schedules, the effective rank,
 * and config validation.
 */
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { Rng } from '../src/util/rng';
import { tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { drawMasks, maskedAliasInput } from '../src/aasp/masking';
import { infoNce, infoNceCpu, predictionLoss } from '../src/aasp/losses';
import { emaTauAt, lrAt, warmupSteps } from '../src/aasp/schedule';
import { ConfigError, PRESETS, configFromObject, maskCounts, peakLr } from '../src/aasp/config';
import { effectiveRank } from '../src/train/monitor';
import { DataStream, type ClipSource } from '../src/train/data';
import { UsageError, parseArgs } from '../src/train/options';
import { AaspEncoder } from '../src/aasp/encoder';
import { makeEmbedder } from '../src/aasp/embedder';
import { add, div, mul, sum } from '../src/ops';
import { multiHeadCross, multiHeadSelf, setFusedAttention } from '../src/aasp/attention';

useGpu();

describe('masking', () => {
  for (const type of ['random', 'inverse-block'] as const) {
    it(`${type}: exact counts, ascending, disjoint, covering, deterministic`, () => {
      const Fp = 5, Tp = 38, N = 190;
      const { nMasked, nVisible } = maskCounts(PRESETS.tiny);
      expect([nMasked, nVisible]).toEqual([133, 57]);
      const ms = drawMasks(new Rng(7), type, 3, 4, Fp, Tp, nMasked);
      expect(ms.vis.length).toBe(3 * 4 * 57);
      expect(ms.mask.length).toBe(3 * 4 * 133);
      const sets: string[] = [];
      for (let g = 0; g < 12; g++) {
        const v = [...ms.vis.subarray(g * 57, (g + 1) * 57)];
        const m = [...ms.mask.subarray(g * 133, (g + 1) * 133)];
        for (const row of [v, m]) for (let i = 1; i < row.length; i++) expect(row[i]).toBeGreaterThan(row[i - 1]);
        expect(new Set([...v, ...m]).size).toBe(N);
        expect(Math.min(...v, ...m)).toBe(0);
        expect(Math.max(...v, ...m)).toBe(N - 1);
        sets.push(v.join(','));
      }
      expect(new Set(sets).size).toBe(12); // independent masks differ
      const again = drawMasks(new Rng(7), type, 3, 4, Fp, Tp, nMasked);
      expect([...again.vis]).toEqual([...ms.vis]);
    });
  }

  it('random masks are uniform over tokens (each token visible ≈ n_v/N of the time)', () => {
    const rng = new Rng(3);
    const counts = new Float64Array(190);
    const reps = 400;
    const ms = drawMasks(rng, 'random', reps, 1, 5, 38, 133);
    for (const t of ms.vis) counts[t]++;
    const p = 57 / 190, sd = Math.sqrt(reps * p * (1 - p));
    for (const c of counts) expect(Math.abs(c - reps * p)).toBeLessThan(5 * sd);
  });

  it('inverse-block visible tokens form blocks (most visible tokens have a visible neighbour)', () => {
    const ms = drawMasks(new Rng(5), 'inverse-block', 4, 2, 5, 38, 133);
    let withNeighbour = 0;
    for (let g = 0; g < 8; g++) {
      const v = new Set(ms.vis.subarray(g * 57, (g + 1) * 57));
      for (const t of v) if (v.has(t + 1) || v.has(t - 1) || v.has(t + 38) || v.has(t - 38)) withNeighbour++;
    }
    expect(withNeighbour / (8 * 57)).toBeGreaterThan(0.95);
  });

  it('maskedAliasInput zeroes exactly the masked 16×16 cells, per mask', async () => {
    const B = 2, M = 2, F = 32, T = 48, P = 16, Fp = 2, Tp = 3;
    const rng = new Rng(1);
    const xs = Float32Array.from({ length: B * F * T }, () => rng.normal());
    const ms = drawMasks(rng, 'random', B, M, Fp, Tp, 4);
    const y = await maskedAliasInput(tensor(xs, [B, F, T]), ms, P).toFloat32();
    for (let b = 0; b < B; b++) for (let j = 0; j < M; j++) {
      const g = b * M + j;
      const vis = new Set(ms.vis.subarray(g * 2, g * 2 + 2));
      for (let f = 0; f < F; f++) for (let t = 0; t < T; t++) {
        const tok = Math.floor(f / P) * Tp + Math.floor(t / P);
        expect(y[(g * F + f) * T + t] + 0).toBe(vis.has(tok) ? xs[(b * F + f) * T + t] : 0);
      }
    }
  });
});

describe('losses against float64', () => {
  function unitRows(rng: Rng, G: number, d: number): Float32Array {
    const e = new Float32Array(G * d);
    for (let g = 0; g < G; g++) {
      let n = 0;
      for (let k = 0; k < d; k++) { e[g * d + k] = rng.normal(); n += e[g * d + k] ** 2; }
      for (let k = 0; k < d; k++) e[g * d + k] /= Math.sqrt(n);
    }
    return e;
  }

  it('InfoNCE value and gradient', async () => {
    const rng = new Rng(11);
    for (const [B, M, d, tau] of [[3, 4, 16, 0.1], [2, 2, 8, 0.5], [4, 3, 32, 0.1]] as const) {
      const G = B * M;
      const e = unitRows(rng, G, d);
      const et = tensor(e, [G, d]).requireGrad();
      const L = infoNce(et, M, tau);
      const got = await L.item();
      const want = infoNceCpu(e, G, d, M, tau);
      expect(Math.abs(got - want)).toBeLessThan(2e-5 * Math.max(1, Math.abs(want)));
      backward(L);
      const grad = await et.grad!.toFloat32();
      // Central differences of the float64 reference.
      const e64 = Float64Array.from(e);
      for (const i of [0, 5, G * d - 1, Math.floor(G * d / 2)]) {
        const h = 1e-5;
        const save = e64[i];
        e64[i] = save + h; const up = infoNceCpu(e64, G, d, M, tau);
        e64[i] = save - h; const dn = infoNceCpu(e64, G, d, M, tau);
        e64[i] = save;
        expect(Math.abs(grad[i] - (up - dn) / (2 * h))).toBeLessThan(1e-4);
      }
      et.dispose();
    }
  });

  it('prediction loss 2 − 2cos, mean over masks and tokens', async () => {
    const rng = new Rng(2);
    const G = 3, n = 5, D = 7;
    const p = Float32Array.from({ length: G * n * D }, () => rng.normal());
    const t = Float32Array.from({ length: G * n * D }, () => rng.normal());
    let want = 0;
    for (let r = 0; r < G * n; r++) {
      let dot = 0, np = 0, nt = 0;
      for (let k = 0; k < D; k++) { const a = p[r * D + k], b = t[r * D + k]; dot += a * b; np += a * a; nt += b * b; }
      want += 2 - (2 * dot) / (Math.max(Math.sqrt(np), 1e-8) * Math.max(Math.sqrt(nt), 1e-8));
    }
    want /= G * n;
    const got = await predictionLoss(tensor(p, [G, n, D]), tensor(t, [G, n, D])).item();
    expect(Math.abs(got - want)).toBeLessThan(1e-5);
  });
});

describe('schedules (spec 5.9, 5.10)', () => {
  it('warm-up then cosine', () => {
    expect(warmupSteps(1000)).toBe(100);
    expect(warmupSteps(5)).toBe(1);
    expect(lrAt(0, 1000, 1e-3)).toBeCloseTo(1e-5, 15);
    expect(lrAt(99, 1000, 1e-3)).toBeCloseTo(1e-3, 15);
    expect(lrAt(100, 1000, 1e-3)).toBeCloseTo(1e-3, 15);
    expect(lrAt(550, 1000, 1e-3)).toBeCloseTo(0.5e-3, 15);
    expect(lrAt(999, 1000, 1e-3)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos((Math.PI * 899) / 900)), 15);
    // The golden step: S = 10, W = 1, s = 0 gives the peak.
    expect(lrAt(0, 10, 1e-3)).toBe(1e-3);
    expect(lrAt(1, 10, 1e-3)).toBe(1e-3);
    expect(lrAt(5, 10, 1e-3)).toBeCloseTo(1e-3 * 0.5 * (1 + Math.cos((Math.PI * 4) / 9)), 15);
  });
  it('EMA τ and peak lr by config', () => {
    expect(emaTauAt(0, 100, 0.99, 0.999)).toBe(0.99);
    expect(emaTauAt(50, 100, 0.99, 0.999)).toBeCloseTo(0.9945, 12);
    expect(emaTauAt(0, 100, PRESETS.base.ema0, PRESETS.base.ema1)).toBe(0.99995);
    expect(peakLr(PRESETS.tiny, 64)).toBe(1e-3);
    expect(peakLr(PRESETS.base, 512)).toBeCloseTo(6e-4, 15);
    expect(peakLr(PRESETS.small, 128)).toBeCloseTo(1.5e-4, 15);
  });
});

describe('monitors and config', () => {
  it('effective rank', () => {
    const I = new Float32Array(16 * 32);
    for (let i = 0; i < 16; i++) I[i * 32 + i] = 1;
    expect(effectiveRank(I, 16, 32)).toBeCloseTo(16, 6);
    const r1 = Float32Array.from({ length: 8 * 5 }, (_, k) => (Math.floor(k / 5) + 1) * ((k % 5) - 2));
    expect(effectiveRank(r1, 8, 5)).toBeCloseTo(1, 4);
    const rng = new Rng(1);
    const rnd = Float32Array.from({ length: 64 * 8 }, () => rng.normal());
    const er = effectiveRank(rnd, 64, 8);
    expect(er).toBeGreaterThan(6);
    expect(er).toBeLessThanOrEqual(8);
  });

  it('presets and file configs are validated', () => {
    expect(PRESETS.base).toMatchObject({ D: 768, depth: 12, heads: 12, Dp: 512, predDepth: 4, predHeads: 16, ema0: 0.99995, ema1: 0.99999 });
    expect(PRESETS.small).toMatchObject({ D: 384, depth: 12, heads: 6, Dp: 256, predDepth: 4, predHeads: 8 });
    expect(PRESETS.tiny).toMatchObject({ D: 192, depth: 4, heads: 3, Dp: 128, predDepth: 2, predHeads: 4, ema0: 0.99, ema1: 0.999 });
    expect(configFromObject({ base: 'small', depth: 2 }, 'x').depth).toBe(2);
    expect(() => configFromObject({ heads: 5 }, 'x')).toThrow(ConfigError);
    expect(() => configFromObject({ dept: 2 }, 'x')).toThrow(/unknown field "dept"/);
    expect(() => configFromObject({ masks: 1 }, 'x')).toThrow(/at least 2 masks/);
    expect(configFromObject({ masks: 1, lambda: 0 }, 'x').masks).toBe(1);
    expect(() => configFromObject({ cropFrames: 600 }, 'x')).toThrow(/multiple of the patch/);
  });
});

describe('data stream', () => {
  // Item i is a constant log-mel of value i with 20 + i frames; item 3 is unreadable.
  const source: ClipSource = {
    size: 7,
    description: 'fake',
    load: async (i) => (i === 3 ? { skip: 'broken' } : { samples: new Float32Array([i]) }),
  };
  const features = (s: Float32Array) => ({ data: new Float64Array(4 * (20 + s[0])).fill(s[0]), nMels: 4, nFrames: 20 + s[0] });

  it('seeded epoch order, skips counted, exact continuation from a saved position and generator', async () => {
    const rng = new Rng(9);
    const a = new DataStream(source, features, 16, DataStream.startPosition(rng));
    a.onSkip = () => {};
    const firstValues = async (st: DataStream, r: Rng) => {
      const b = await st.nextBatch(3, r);
      return [0, 1, 2].map((k) => b.data[k * 4 * 16]);
    };
    const e0 = [...(await firstValues(a, rng)), ...(await firstValues(a, rng))];
    expect(new Set(e0).size).toBe(6); // one epoch: every readable item once
    expect(e0).not.toContain(3);
    expect(a.position.skipped).toBe(1);
    const pos = a.position, state = rng.serialize();
    const next = [await firstValues(a, rng), await firstValues(a, rng)];
    const b = new DataStream(source, features, 16, pos);
    b.onSkip = () => {};
    const r2 = Rng.deserialize(state);
    expect([await firstValues(b, r2), await firstValues(b, r2)]).toEqual(next);
    expect(r2.serialize()).toBe(rng.serialize());
    expect(b.position).toEqual(a.position);
    expect(a.position.epoch).toBeGreaterThanOrEqual(1);
  });
});

describe('command-line options', () => {
  it('parses values, flags and --resume forms', () => {
    const o = parseArgs(['--config', 'small', '--steps=20', '--batch', '4', '--lr', '2e-4', '--masks', '3', '--mask-ratio', '0.5',
      '--mask-type', 'inverse-block', '--no-aape', '--no-contrastive', '--seed', '7', '--out', 'x', '--resume', '--checkpoint-every', '0'])!;
    expect(o).toMatchObject({ config: 'small', steps: 20, batch: 4, lr: 2e-4, masks: 3, maskRatio: 0.5, maskType: 'inverse-block', aape: false,
      contrastive: false, seed: 7, out: 'x', resume: '', checkpointEvery: 0 });
    expect(parseArgs(['--resume', 'a.safetensors'])!.resume).toBe('a.safetensors');
    expect(parseArgs(['--help'])).toBeNull();
    expect(parseArgs([])!.speechShare).toBeNull();
    expect(parseArgs(['--speech-share', '0.4'])!.speechShare).toBe(0.4);
    expect(parseArgs(['--speech-share=1'])!.speechShare).toBe(1);
    expect(parseArgs(['--mix-data', 'notes', '--mix-share', '0.25'])).toMatchObject({ mixData: 'notes', mixShare: 0.25 });
    expect(parseArgs([])).toMatchObject({ mixData: null, mixShare: null });
  });
  const bad: [string[], RegExp][] = [
    [['--steps', 'ten'], /--steps expects a positive integer/],
    [['--steps', '0'], /positive integer/],
    [['--batch'], /--batch needs a value/],
    [['--mask-type', 'stripes'], /random or inverse-block/],
    [['--mask-ratio', '1.5'], /\[0, 1\)/],
    [['--lr', '-1'], /positive number/],
    [['--seed', '1.5'], /integer/],
    [['--steps', '3', '--epochs', '1', '--data', '.'], /not both/],
    [['--epochs', '2'], /--epochs needs --data/],
    [['--no-aape=1'], /takes no value/],
    [['--features', 'tpu'], /cpu or gpu/],
    [['extra'], /unknown option extra/],
    [['--speech-share', '1.5'], /--speech-share expects a number in \[0, 1\], got "1.5"/],
    [['--speech-share', '0.3', '--data', 'x'], /--speech-share applies to the procedural corpus, not to --data/],
    [['--mix-data', 'x', '--mix-share', '0.3', '--data', 'y'], /--mix-data mixes a dataset into the procedural corpus; with --data there is no corpus to mix into/],
    [['--mix-data', 'x'], /--mix-data and --mix-share go together/],
    [['--mix-share', '0.3'], /--mix-data and --mix-share go together/],
    [['--mix-data', 'x', '--mix-share', '0'], /--mix-share must be above 0/],
    [['--mix-data', 'x', '--mix-share', '2'], /--mix-share expects a number in \[0, 1\], got "2"/],
  ];
  for (const [args, msg] of bad) {
    it(`rejects ${args.join(' ')}`, () => {
      expect(() => parseArgs(args)).toThrow(UsageError);
      expect(() => parseArgs(args)).toThrow(msg);
    });
  }
});

describe('encoder targets', () => {
  it('targetLayers L > 1 averages `norm` of the last L block outputs', async () => {
    const cfg = configFromObject({ D: 16, depth: 3, heads: 2, nMels: 16, cropFrames: 32, Dp: 8, predHeads: 2 }, 't');
    const enc = new AaspEncoder(cfg, new Rng(1), makeEmbedder);
    const rng = new Rng(2);
    const z = tensor(Float32Array.from({ length: 2 * 2 * 16 }, () => rng.normal()), [2, 2, 16]);
    const got = await enc.encode(z, 2).toFloat32();
    const [b0, b1, b2] = enc.blocks.items;
    const h1 = b1.forward(b0.forward(z)), h2 = b2.forward(h1);
    const want = await div(add(enc.norm.forward(h1), enc.norm.forward(h2)), 2).toFloat32();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    const last = await enc.encode(z).toFloat32();
    const wantLast = await enc.norm.forward(h2).toFloat32();
    for (let i = 0; i < last.length; i++) expect(last[i]).toBeCloseTo(wantLast[i], 5);
  });
});

describe('attention paths', () => {
  it('fused (packed heads) and composed (split/merge) multi-head attention agree, values and gradients', async () => {
    const rng = new Rng(8);
    const rnd = (shape: number[]) => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
    const qkv0 = rnd([3, 7, 3 * 16]), q0 = rnd([3, 5, 16]), kv0 = rnd([3, 9, 32]), r1 = rnd([3, 7, 16]), r2 = rnd([3, 5, 16]);
    const runBoth = async (fused: boolean) => {
      setFusedAttention(fused);
      const [qkv, q, kv] = [qkv0, q0, kv0].map((t) => t.detach().requireGrad());
      const L = add(sum(mul(multiHeadSelf(qkv, 4), r1)), sum(mul(multiHeadCross(q, kv, 2), r2)));
      backward(L);
      return [await L.item(), ...(await Promise.all([qkv, q, kv].map((t) => t.grad!.toFloat32())))] as const;
    };
    const a = await runBoth(true), b = await runBoth(false);
    setFusedAttention(true);
    expect(Math.abs(a[0] - b[0])).toBeLessThan(1e-4 * Math.max(1, Math.abs(b[0])));
    for (let k = 1; k < 4; k++) {
      const ga = a[k] as Float32Array, gb = b[k] as Float32Array;
      for (let i = 0; i < gb.length; i++) expect(Math.abs(ga[i] - gb[i])).toBeLessThan(1e-4);
    }
  });
});

