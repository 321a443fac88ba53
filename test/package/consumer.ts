/**
 * A program as a user of the published package writes it: it imports only the package's public entry
 * points, type-checks under strict settings, and runs unchanged in Node (Dawn) and in a browser page
 * (navigator.gpu). test/package.test.ts packs the project, installs the tarball next to this file and
 * runs it both ways. It fits a small MLP, computes a log-mel with the audio front end, and takes two
 * training steps of a shortened tiny AaSP model.
 */
import { init, tensor, scope, backward, Linear, AdamW, Rng, gelu, mean, square, sub, type Tensor } from 'aasp-webgpu';
import { PRESETS, validateConfig, AaspStudent, Teacher, makeEmbedder, makeOptimizer, makeSchedule, peakLr, grid, maskCounts, drawMasks, computeGradients, applyUpdate, type AaspConfig } from 'aasp-webgpu/aasp';
import { logMelCpuFast, cropOrPadFrames } from 'aasp-webgpu/audio';

export interface ConsumerResult { mlpLosses: number[]; melShape: [number, number]; aaspLosses: number[] }

export async function run(): Promise<ConsumerResult> {
  const rt = await init();
  try {
    const rng = new Rng(3);
    // 1. The engine: a 4 -> 16 -> 1 MLP fitted to a fixed linear map.
    const l1 = new Linear(4, 16, rng, { init: 'xavier_uniform' });
    const l2 = new Linear(16, 1, rng, { init: 'xavier_uniform' });
    const params = [...l1.namedParameters('l1.'), ...l2.namedParameters('l2.')];
    const opt = new AdamW([{ params, weightDecay: 0 }], { lr: 0.02 });
    const xs = Float32Array.from({ length: 32 * 4 }, () => rng.normal());
    const ys = Float32Array.from({ length: 32 }, (_, i) => xs[4 * i] - 0.5 * xs[4 * i + 2]);
    const x = tensor(xs, [32, 4]);
    const y = tensor(ys, [32, 1]);
    const mlpLosses: number[] = [];
    for (let s = 0; s < 30; s++) {
      const loss: Tensor = scope(() => mean(square(sub(l2.forward(gelu(l1.forward(x))), y))));
      backward(loss);
      opt.step();
      for (const [, p] of params) { p.grad?.dispose(); p.grad = null; }
      mlpLosses.push(await loss.item());
      loss.dispose();
    }
    x.dispose(); y.dispose(); opt.dispose(); l1.dispose(); l2.dispose();

    // 2. The audio front end: 0.5 s of a 440 Hz tone at 16 kHz.
    const tone = Float32Array.from({ length: 8000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000));
    const mel = logMelCpuFast(tone);

    // 3. The model: two seeded training steps of tiny AaSP on 64-frame crops of that log-mel.
    const cfg: AaspConfig = validateConfig({ ...PRESETS.tiny, cropFrames: 64 }, 'consumer');
    const student = new AaspStudent(cfg, rng, makeEmbedder);
    const teacher = new Teacher(student, makeEmbedder);
    const batch = 2;
    const aopt = makeOptimizer(student, cfg, peakLr(cfg, batch));
    const sched = makeSchedule(cfg, 10, peakLr(cfg, batch));
    const { Fp, Tp } = grid(cfg);
    const aaspLosses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const crops = [0, 1].map(() => cropOrPadFrames(mel, cfg.cropFrames, rng).data);
      const xb = tensor(Float32Array.from(crops.flatMap((c) => [...c])), [batch, cfg.nMels, cfg.cropFrames]);
      const ms = drawMasks(rng, cfg.maskType, batch, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
      const r = await computeGradients(student, teacher, xb, ms);
      applyUpdate(student, teacher, aopt, sched, cfg, s, r.gradNorm);
      xb.dispose();
      aaspLosses.push(r.loss);
    }
    aopt.dispose(); teacher.dispose(); student.dispose();
    return { mlpLosses, melShape: [mel.nMels, mel.nFrames], aaspLosses };
  } finally {
    rt.destroy();
  }
}

// Node prints the result; a page shows it in the document for the test to read.
const done = (r: ConsumerResult | { error: string }) => {
  const text = JSON.stringify(r);
  const doc = (globalThis as { document?: { body: { setAttribute(k: string, v: string): void } } }).document;
  if (doc) doc.body.setAttribute('data-result', text); else console.log(text);
};
run().then(done, (e: unknown) => done({ error: e instanceof Error ? e.message : String(e) }));
