/**
 * The demo page (demo/index.html): wires the controls to src/browser/demo-model.ts and draws with
 * src/browser/plots.ts. URL parameters let a script drive it without clicks (the screenshot in
 * docs/demo.png is made that way): `?train=N` trains N steps after loading, `crop`, `batch`, `seed`,
 * `type` preset the controls, `stability=1` plots the live model's stability after training.
 * `window.demoState` reports progress for such scripts.
 */
import { init } from '../gpu/runtime';
import { Rng } from '../util/rng';
import { PRESETS } from '../aasp/config';
import { AaPE } from '../aasp/aape';
import type { AaspEncoder } from '../aasp/encoder';
import { heatmap, linePlot, type Series } from './plots';
import { DEMO_MIX, GENERATOR_TYPES, SAMPLE_RATE, decodeFile, generateClip, type DemoClip, type GeneratorType } from './audio-input';
import { LiveTrainer, aapeView, aliasBranchOf, loadCheckpoint, melOf, slowAdapter, stability, type Mel, type StepReport } from './demo-model';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

interface DemoState {
  ready: boolean; busy: string | null; trainedSteps: number; losses: number[];
  stability: Record<string, number[]>; errors: string[];
}
const state: DemoState = { ready: false, busy: null, trainedSteps: 0, losses: [], stability: {}, errors: [] };
(window as unknown as { demoState: DemoState }).demoState = state;

let clip: DemoClip | null = null;
let mel: Mel | null = null;
let trainer: LiveTrainer | null = null;
let stopRequested = false;
/** Generated 10 s clips (one per sound type) that training and stability draw from besides the loaded clip. */
let pool: Mel[] | null = null;
/** AaPE at initialisation, for the panel when the model in this build has no alias branch. */
let standaloneAape: AaPE | null = null;

function note(id: string, text: string, error = false): void {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('err', error);
}

function fail(where: string, e: unknown): void {
  const msg = `${where}: ${(e as Error).message ?? e}`;
  state.errors.push(msg);
  console.error(msg, e);
  note('status', msg, true);
}

/** Run one async job at a time; the buttons would otherwise interleave GPU work and scopes. */
async function job(name: string, fn: () => Promise<void>): Promise<void> {
  if (state.busy) { note('status', `busy (${state.busy}); try again when it is done`); return; }
  state.busy = name;
  try { await fn(); } catch (e) { fail(name, e); } finally { state.busy = null; }
}

const nextFrame = () => new Promise<void>((r) => setTimeout(r, 0));

// ---- 1: audio and log-mel ---------------------------------------------------------------------

async function showClip(c: DemoClip): Promise<void> {
  clip = c;
  const t0 = performance.now();
  mel = await melOf(c.samples);
  const ms = performance.now() - t0;
  note('clip-note', `${c.label}: ${(c.samples.length / SAMPLE_RATE).toFixed(2)} s, log-mel [${mel.nMels} × ${mel.nFrames}] on the GPU in ${ms.toFixed(0)} ms (normalised: mean −7.1, std 4.2)`);
  heatmap($('mel') as HTMLCanvasElement, mel.data, mel.nMels, mel.nFrames, { title: 'normalised log-mel (80 Slaney bands, 10 ms frames)', yLabel: 'mel band', xLabel: 'frames →' });
  ($('play') as HTMLButtonElement).disabled = false;
  await showAape();
}

async function generate(): Promise<void> {
  const type = ($('gen-type') as HTMLSelectElement).value as GeneratorType | 'mix';
  const seed = Number(($('gen-seed') as HTMLInputElement).value) || 0;
  await showClip(generateClip(type, seed, 10));
}

function play(): void {
  if (!clip) return;
  const ctx = new AudioContext({ sampleRate: SAMPLE_RATE });
  const buf = ctx.createBuffer(1, clip.samples.length, SAMPLE_RATE);
  buf.getChannelData(0).set(clip.samples);
  const src = ctx.createBufferSource();
  src.buffer = buf;
  src.connect(ctx.destination);
  src.start();
}

// ---- 2: AaPE ----------------------------------------------------------------------------------

async function showAape(): Promise<void> {
  if (!mel) return;
  let branch = trainer ? aliasBranchOf(trainer.student) : null;
  let what = trainer ? `the live model after ${state.trainedSteps} training steps` : '';
  if (!branch) {
    // The model in this build has no alias branch (AaPE off, or not wired into the encoder): show the
    // AaPE module itself at its initialisation, and say so.
    standaloneAape ??= new AaPE({ D: PRESETS.tiny.D }, new Rng(0));
    branch = standaloneAape.aape!;
    what = trainer ? 'AaPE at initialisation (the trained model has no AaPE branch in this build)' : 'AaPE at initialisation (train the model to see learned values)';
  }
  const t0 = performance.now();
  const v = await aapeView(branch, mel);
  const ms = performance.now() - t0;
  const bands = Array.from({ length: v.F }, (_, f) => f);
  const modes = Array.from({ length: v.M }, (_, i) => i);
  const col = (a: Float32Array, i: number) => bands.map((f) => a[f * v.M + i]);
  // ω is in radians per frame; frames come at 100 Hz, so the modulation frequency is ω·100/2π Hz.
  linePlot($('omega') as HTMLCanvasElement, modes.map((i) => ({ name: `mode ${i}`, x: bands, y: col(v.omega, i).map((w) => (w * 100) / (2 * Math.PI)) })),
    { title: 'ω per band → modulation frequency (Hz)', xLabel: 'mel band', yLabel: 'Hz', yRange: [0, 52] });
  linePlot($('alpha') as HTMLCanvasElement, modes.map((i) => ({ name: `mode ${i}`, x: bands, y: col(v.alpha, i) })),
    { title: 'α per band (decay per frame)', xLabel: 'mel band', yLabel: 'α' });
  for (const i of modes.slice(0, 4)) {
    const img = new Float32Array(v.F * v.T);
    for (let f = 0; f < v.F; f++) img.set(v.S.subarray((f * v.M + i) * v.T, (f * v.M + i + 1) * v.T), f * v.T);
    const w = v.omega.reduce((s, _, k) => (k % v.M === i ? s + v.omega[k] : s), 0) / v.F;
    heatmap($(`sblu${i}`) as HTMLCanvasElement, img, v.F, v.T, { title: `SBLU mode ${i} (~${((w * 100) / (2 * Math.PI)).toFixed(0)} Hz)` });
  }
  note('aape-note', `${what}; clip ${v.T} frames, ${v.M} modes, K = ${PRESETS.tiny.K} taps; fused SBLU kernel, ${ms.toFixed(0)} ms`);
}

// ---- 3: live training -------------------------------------------------------------------------

async function ensurePool(): Promise<Mel[]> {
  if (!pool) {
    pool = [];
    for (const [k, type] of GENERATOR_TYPES.entries()) pool.push(await melOf(generateClip(type, 100 + k, 10).samples));
  }
  return mel ? [mel, ...pool] : pool;
}

function drawLoss(reports: StepReport[]): void {
  const x = reports.map((r) => r.step);
  const series: Series[] = [
    { name: 'loss', x, y: reports.map((r) => r.loss) },
    { name: 'prediction', x, y: reports.map((r) => r.lossPred), dashed: true },
    { name: 'contrastive', x, y: reports.map((r) => r.lossCon), dashed: true },
  ];
  linePlot($('loss') as HTMLCanvasElement, series, { title: 'training loss (L = L_pred + 0.5·L_con)', xLabel: 'step', yLabel: 'loss' });
}

function makeTrainer(steps: number, batch: number, crop: number, seed: number): LiveTrainer {
  try {
    return new LiveTrainer(steps, batch, crop, seed, true);
  } catch (e) {
    // An embedder without AaPE refuses aape: true; train the plain patch-embedding model then.
    note('train-note', `AaPE not available in the model (${(e as Error).message}); training without it`, true);
    return new LiveTrainer(steps, batch, crop, seed, false);
  }
}

async function train(): Promise<void> {
  const steps = Math.max(1, Number(($('steps') as HTMLInputElement).value) || 40);
  const batch = Math.max(1, Number(($('batch') as HTMLInputElement).value) || 2);
  const crop = Number(($('crop') as HTMLSelectElement).value);
  const data = await ensurePool();
  trainer?.dispose();
  trainer = makeTrainer(steps, batch, crop, Number(params.get('seed') ?? 0));
  const reports: StepReport[] = [];
  state.trainedSteps = 0; state.losses = [];
  stopRequested = false;
  ($('stop') as HTMLButtonElement).disabled = false;
  const aapeOn = trainer.cfg.aape;
  try {
    for (let s = 0; s < steps && !stopRequested; s++) {
      const r = await trainer.trainStep(data);
      reports.push(r);
      state.trainedSteps = s + 1; state.losses.push(r.loss);
      drawLoss(reports);
      const avg = reports.slice(1).reduce((a, q) => a + q.ms, 0) / Math.max(1, reports.length - 1);
      note('train-note', `step ${s + 1}/${steps}: loss ${r.loss.toFixed(4)} (pred ${r.lossPred.toFixed(3)}, con ${r.lossCon.toFixed(3)}), lr ${r.lr.toExponential(2)}, ` +
        `${(reports.length > 1 ? avg : r.ms).toFixed(0)} ms/step; tiny D 192 × 4 blocks, AaPE ${aapeOn ? 'on' : 'off'}, B ${batch}, crop ${crop}, ${data.length} clips`);
      await nextFrame(); // let the page repaint between steps
    }
  } finally {
    ($('stop') as HTMLButtonElement).disabled = true;
  }
  ($('stab-live') as HTMLButtonElement).disabled = false;
  await showAape();
}

// ---- 4: checkpoint and stability -------------------------------------------------------------

function drawStability(): void {
  const series = Object.entries(state.stability).map(([name, y]) => ({ name, x: y.map((_, s) => s), y }));
  linePlot($('stab') as HTMLCanvasElement, series, { title: 'aliasing stability: cos(emb(shifted), emb(original))', xLabel: 'shift (frames)', yLabel: 'cosine', xRange: [0, 15] });
}

async function stabilityOf(enc: AaspEncoder, name: string): Promise<void> {
  const data = await ensurePool();
  // Views of the model's full crop length: the embedder's position table is sized for the crop, so
  // shorter windows are not embedded; a loaded clip shorter than crop + 15 frames is left out.
  const need = enc.cfg.cropFrames + 15;
  const usable = data.filter((m) => m.nFrames >= need);
  if (!usable.length) throw new Error(`no clip has the ${need} frames a stability view of this model needs`);
  // The loaded clip plus one or three generated ones (a CPU adapter is slow: 16 views per clip).
  const clips = usable.slice(0, slowAdapter() ? 2 : 4);
  const t0 = performance.now();
  const c = await stability(enc, clips);
  state.stability[name] = c.mean;
  drawStability();
  const mean = c.mean.slice(1).reduce((a, b) => a + b, 0) / 15;
  note('ckpt-note', `${name}: mean cosine over shifts 1..15 = ${mean.toFixed(4)} on ${clips.length} clips (view ${c.lengths[0]} frames), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function loadCkptBytes(bytes: Uint8Array, name: string): Promise<void> {
  const which = ($('ckpt-which') as HTMLSelectElement).value as 'student' | 'teacher';
  const m = loadCheckpoint(bytes, name, which);
  try {
    note('ckpt-note', `${name} (${which}): ${m.note}; computing stability…`);
    await stabilityOf(m.encoder, `${name.replace(/\.safetensors$/, '')} (${which})`);
  } finally {
    m.encoder.dispose();
  }
}

// ---- start-up ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU (navigator.gpu); use a recent Chrome/Chromium, or start it with --enable-unsafe-webgpu');
  const rt = await init();
  note('status', `WebGPU adapter: ${rt.describe()}`);
  $('status').classList.add('ok');
  const sel = $('gen-type') as HTMLSelectElement;
  sel.add(new Option(`mix: ${DEMO_MIX.join(' + ')}`, 'mix'));
  for (const t of GENERATOR_TYPES) sel.add(new Option(t, t));
  sel.value = params.get('type') ?? 'mix';
  if (params.get('seed')) ($('gen-seed') as HTMLInputElement).value = params.get('seed')!;
  ($('crop') as HTMLSelectElement).value = params.get('crop') ?? (slowAdapter() ? '160' : '608');
  if (params.get('batch')) ($('batch') as HTMLInputElement).value = params.get('batch')!;
  if (params.get('train')) ($('steps') as HTMLInputElement).value = params.get('train')!;
  if (slowAdapter()) note('train-note', 'This adapter is a CPU rasteriser: crop shortened to 160 frames (the spec uses 608) so steps take seconds, not minutes.');

  $('gen').onclick = () => void job('generate', generate);
  $('play').onclick = play;
  ($('file') as HTMLInputElement).onchange = (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void job('decode', async () => showClip(await decodeFile(f)));
  };
  $('train').onclick = () => void job('train', train);
  $('stop').onclick = () => { stopRequested = true; };
  ($('ckpt') as HTMLInputElement).onchange = (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) void job('checkpoint', async () => loadCkptBytes(new Uint8Array(await f.arrayBuffer()), f.name));
  };
  $('stab-live').onclick = () => void job('stability', async () => { if (trainer) await stabilityOf(trainer.student, `live model (${state.trainedSteps} steps)`); });
  drawLoss([]);
  drawStability();

  await job('generate', generate);
  // A checkpoint given to the server (`npm run demo -- --checkpoint FILE`) is loaded right away.
  const head = await fetch('/checkpoint.safetensors', { method: 'HEAD' }).catch(() => null);
  if (head?.ok) {
    await job('checkpoint', async () => {
      const bytes = new Uint8Array(await (await fetch('/checkpoint.safetensors')).arrayBuffer());
      await loadCkptBytes(bytes, params.get('ckptName') ?? 'checkpoint.safetensors');
    });
  }
  if (params.get('train')) {
    await job('train', train);
    if (params.get('stability') === '1' && trainer) await job('stability', async () => stabilityOf(trainer!.student, `live model (${state.trainedSteps} steps)`));
  }
  state.ready = true;
}

main().catch((e) => fail('start-up', e));
