/**
 * `node dist/aape-viz.js [options] [AUDIO]`: draw what AaPE's alias branch sees in one clip — the
 * Lambda Encoder's ω and α per mel band and mode, and the SBLU feature maps — into an SVG.
 * Weights: a pre-training checkpoint (student or --teacher), a bare weights file with --config, or a
 * random init. Input: an audio file (decoded, resampled to 16 kHz, log-mel of spec 2), a raw
 * float32 normalised log-mel (--logmel, [n_mels, T] row-major), or a built-in synthetic signal with
 * modulations in the alias-prone 3–50 Hz range.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { init } from '../gpu/runtime';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { frontEndOf, loadModel } from '../eval/model';
import { loadAudio } from '../audio/file-io';
import { logMelCpu, type LogMelConfig } from '../audio/logmel-cpu';
import { AliasBranch } from '../aasp/aape';
import { aapeVizSvg, syntheticSignal } from '../aasp/viz';
import { noGrad } from '../tensor/autograd';
import { scopeAsync, tensor } from '../tensor/tensor';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'pre-training checkpoint (omit for a random init)', meta: 'PATH' },
  teacher: { type: 'boolean', help: "draw the EMA teacher's AaPE instead of the student's", default: false },
  config: { type: 'string', help: 'config for a random init or a bare weights file (tiny, small, base or JSON)', meta: 'NAME|PATH' },
  'init-seed': { type: 'int', help: 'seed of a random init', default: 0 },
  logmel: { type: 'string', help: 'raw float32 normalised log-mel [n_mels, T] row-major instead of audio', meta: 'PATH' },
  offset: { type: 'int', help: 'first frame of the crop', default: 0 },
  frames: { type: 'int', help: 'frames to draw (default: the model\'s crop, 608)', meta: 'N' },
  out: { type: 'string', help: 'output SVG file', default: 'aape-viz.svg', meta: 'PATH' },
};
const SYNOPSIS = 'node dist/aape-viz.js [options] [AUDIO]   (no AUDIO and no --logmel: a synthetic test signal)';

async function inputLogMel(path: string | undefined, rawPath: string | undefined, fe: LogMelConfig, minFrames: number): Promise<{ data: Float32Array; T: number; what: string }> {
  if (rawPath) {
    const b = await readFile(rawPath);
    if (b.byteLength % (4 * fe.nMels) !== 0) throw new UsageError(`--logmel ${rawPath}: ${b.byteLength} bytes is not a whole number of ${fe.nMels}-band float32 frames`);
    const data = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    return { data, T: data.length / fe.nMels, what: `log-mel ${rawPath}` };
  }
  const audio = path ? (await loadAudio(path, fe.sampleRate)).samples : syntheticSignal((minFrames + 1) / 100, fe.sampleRate);
  const lm = logMelCpu(audio, fe);
  return { data: Float32Array.from(lm.data), T: lm.nFrames, what: path ? `audio ${path}` : 'synthetic: 7 Hz AM at 500 Hz, 23 Hz AM at 2 kHz, 40 Hz clicks' };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length > 1) throw new UsageError('give at most one audio file');
  if (a.positional.length && get.str(a, 'logmel')) throw new UsageError('give an audio file or --logmel, not both');
  const rt = await init();
  try {
    const model = await loadModel({ checkpoint: get.str(a, 'checkpoint'), config: get.str(a, 'config'), teacher: get.bool(a, 'teacher'), seed: get.num(a, 'init-seed') });
    const cfg = model.cfg;
    const alias = new Map(model.encoder.embedder.mounts).get('aape');
    if (!(alias instanceof AliasBranch)) throw new UsageError(`${model.description}: AaPE is off in this model, so there is no alias branch to draw`);
    const fe = frontEndOf(cfg);
    const T = typeof a.flags.frames === 'number' ? a.flags.frames : cfg.cropFrames;
    const offset = get.num(a, 'offset');
    if (T < 1 || offset < 0) throw new UsageError('--frames must be ≥ 1 and --offset ≥ 0');
    const src = await inputLogMel(a.positional[0], get.str(a, 'logmel'), fe, offset + T);
    // Crop [offset, offset + T); a shorter input is padded with zeros in the normalised domain (spec 2).
    const F = fe.nMels;
    const x = new Float32Array(F * T);
    for (let f = 0; f < F; f++) for (let t = 0; t < T && offset + t < src.T; t++) x[f * T + t] = src.data[f * src.T + offset + t];
    const res = await scopeAsync(async () => {
      const feats = noGrad(() => alias.features(tensor(x, [1, F, T])));
      return { alpha: await feats.alpha.toFloat32(), omega: await feats.omega.toFloat32(), S: await feats.S.toFloat32() };
    });
    const svg = aapeVizSvg({
      title: `AaPE alias branch: ${model.description}`,
      notes: [
        `input: ${src.what}, frames ${offset}..${offset + T - 1} of ${src.T}${offset + T > src.T ? ' (zero-padded)' : ''}`,
        `D ${cfg.D}, M ${cfg.modes} modes, K ${cfg.K} taps; ω ∈ (π/16, π) rad/frame = (${(100 / 32).toFixed(3)}, 50) Hz at 100 frames/s; adapter ${rt.adapterName}`,
      ],
      logmel: x, F, T, alpha: res.alpha, omega: res.omega, M: cfg.modes, K: cfg.K, S: res.S, frameRate: fe.sampleRate / fe.hopLength,
    });
    model.encoder.dispose();
    const out = get.str(a, 'out')!;
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, svg);
    console.log(`wrote ${out} (${(svg.length / 1024).toFixed(0)} KiB): ω, α for ${F} bands × ${cfg.modes} modes and ${cfg.modes} SBLU maps of ${T} frames`);
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
