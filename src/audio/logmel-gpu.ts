/**
 * Log-mel front end on the GPU (spec section 2), numerically the CPU reference's (logmel-cpu.ts)
 * in float32. One fused dispatch (per chunk of clips) turns a batch [B, L] into [B, nMels, T] normalised log-mel
 * with T = 1 + floor(L / hop); clips of different lengths share a batch (each is framed with its own
 * reflect padding, and frames past its end hold `padValue`).
 *
 * The window, twiddle table and sparse filterbank are uploaded once per (runtime, config): get the
 * extractor with `LogMelGpu.for(rt, cfg)` (or just call `logMelGpu`), never per clip.
 */
import logmelSrc from '../../shaders/logmel.wgsl?raw';
import { kernelFamily } from '../gpu/kernel';
import { grid1d, runtime, type Runtime } from '../gpu/runtime';
import { isCpuAdapterName } from '../gpu/device';
import { matmulRaw } from '../ops/matmul';
import { empty, Storage, Tensor } from '../tensor/tensor';
import { DEFAULT_LOGMEL_CONFIG, numFrames, type LogMelConfig } from './logmel-cpu';
import { hannWindow, melFilterbank } from './mel-filters';

export const logmelK = kernelFamily('logmel', logmelSrc);

/**
 * How the DFT is done (all exact up to float32 rounding; kernels-bench/logmel.ts measures them).
 * - 'fft-thread': each invocation runs the two-stage (P·Q) FFT for 4 frames (the lanes of a vec4),
 *   with small unrolled private arrays and a scratch buffer, no shared memory. Fastest on CPU adapters
 *   (lavapipe: ~7× less CPU time than the others), where an invocation is one SIMD lane.
 * - 'fft-group': one workgroup per frame(s), the same FFT through shared memory (meant for GPUs;
 *   not measured on one here).
 * - 'dft-group': like 'fft-group' with a direct DFT against the twiddle table.
 * - 'matmul': frames materialised, then the engine's matmul against a [N, 2·(N/2+1)] cos|sin basis.
 * - 'auto': 'fft-thread' on a CPU adapter, else 'fft-group'.
 */
export type LogMelMethod = 'auto' | 'fft-thread' | 'fft-group' | 'dft-group' | 'matmul';

export interface LogMelGpuTuning {
  method: LogMelMethod;
  /** Invocations per workgroup. */
  workgroupSize: number;
  /** Frames per workgroup for the '-group' methods (limited by shared memory: FPW·nFft ≤ 1024). */
  framesPerGroup: number;
  /** Scratch memory of 'fft-thread'; larger batches are processed in chunks of clips that fit. */
  scratchBytes: number;
}

export const DEFAULT_LOGMEL_TUNING: LogMelGpuTuning = { method: 'auto', workgroupSize: 0, framesPerGroup: 1, scratchBytes: 64 << 20 };

/** Whether the adapter is a CPU rasteriser (lavapipe/llvmpipe, SwiftShader) rather than a GPU. */
export function isCpuAdapter(rt: Runtime): boolean {
  return isCpuAdapterName(rt.adapterName);
}

/** The concrete method and workgroup size `auto`/0 resolve to on this runtime. */
export function resolveTuning(rt: Runtime, t: Partial<LogMelGpuTuning> = {}, cfg: Partial<LogMelConfig> = {}): LogMelGpuTuning {
  const full = { ...DEFAULT_LOGMEL_TUNING, ...t };
  // 'fft-thread' unrolls loops over P and Q: compile time grows steeply past 20 (≈ 5 s for 20·20 on
  // lavapipe, minutes for 32·16), so larger factors go to the cooperative kernel.
  const [P] = splitFactors(cfg.nFft ?? DEFAULT_LOGMEL_CONFIG.nFft);
  const method = full.method === 'auto' ? (isCpuAdapter(rt) && P <= THREAD_AUTO_MAX ? 'fft-thread' : 'fft-group') : full.method;
  const workgroupSize = full.workgroupSize || (method === 'fft-thread' ? 64 : method === 'matmul' ? 64 : 256);
  return { ...full, method, workgroupSize };
}

export interface LogMelGpuCallOptions {
  /** Valid samples per clip (default: every clip fills its row). */
  lengths?: readonly number[];
  /** Value of frames past a clip's end (default 0: zero in the normalised domain, as the spec pads). */
  padValue?: number;
}

const STORAGE = 0x80, COPY_DST = 0x8;
const SHARED_X = 1024, SHARED_S = 1152, THREAD_MAX = 32, THREAD_AUTO_MAX = 20;

/** N = P·Q with P, Q as close as possible (fewest multiply-adds for the two-stage split). */
export function splitFactors(n: number): [number, number] {
  let best: [number, number] = [1, n];
  for (let q = 1; q * q <= n; q++) if (n % q === 0) best = [n / q, q];
  return best;
}

function fits(n: number, P: number, Q: number, fpw: number): boolean {
  return fpw * n <= SHARED_X && fpw * Q * (Math.floor(P / 2) + 1) <= SHARED_S && fpw * n <= SHARED_S;
}

const cache = new WeakMap<Runtime, Map<string, LogMelGpu>>();

/** A log-mel extractor bound to one runtime, holding its constant tables on the GPU. */
export class LogMelGpu {
  readonly cfg: LogMelConfig;
  readonly tuning: LogMelGpuTuning;
  readonly nBins: number;
  private P: number;
  private Q: number;
  private win: GPUBuffer;
  private tw: GPUBuffer;
  private fbW: GPUBuffer;
  private fbIdx: GPUBuffer;
  private basis: Tensor | null = null;
  private buffers: GPUBuffer[] = [];
  private disposed = false;

  constructor(readonly rt: Runtime, cfg: Partial<LogMelConfig> = {}, tuning: Partial<LogMelGpuTuning> = {}) {
    const c = { ...DEFAULT_LOGMEL_CONFIG, ...cfg };
    this.cfg = c;
    this.tuning = resolveTuning(rt, tuning, cfg);
    const N = c.nFft;
    if (!Number.isInteger(N) || N < 2 || N > SHARED_X) throw new Error(`LogMelGpu: nFft must be an integer in 2..${SHARED_X}, got ${N}`);
    if (c.winLength > N) throw new Error(`LogMelGpu: winLength ${c.winLength} > nFft ${N}`);
    if (!(c.hopLength >= 1) || !(c.std > 0)) throw new Error('LogMelGpu: hopLength must be ≥ 1 and std > 0');
    [this.P, this.Q] = splitFactors(N);
    const fpw = this.tuning.framesPerGroup;
    const method = this.tuning.method;
    if (method.endsWith('-group') && !(fpw >= 1 && fits(N, this.P, this.Q, fpw))) {
      throw new Error(`LogMelGpu: ${fpw} frames per workgroup of ${N} samples do not fit in shared memory`);
    }
    if (method === 'fft-thread' && this.P > THREAD_MAX) {
      throw new Error(`LogMelGpu: nFft ${N} = ${this.P}·${this.Q} needs factors ≤ ${THREAD_MAX} for 'fft-thread'; use 'fft-group'`);
    }
    this.nBins = Math.floor(N / 2) + 1;

    const win = new Float32Array(N);
    win.set(hannWindow(c.winLength), Math.floor((N - c.winLength) / 2));
    const tw = new Float32Array(2 * N);
    for (let j = 0; j < N; j++) {
      tw[2 * j] = Math.cos((2 * Math.PI * j) / N);
      tw[2 * j + 1] = -Math.sin((2 * Math.PI * j) / N);
    }
    // The filterbank is ~2 nonzeros per FFT bin out of nMels: store each mel's contiguous support only.
    const fb = melFilterbank({ sampleRate: c.sampleRate, nFft: N, nMels: c.nMels, fMin: c.fMin, fMax: c.fMax });
    const idx = new Uint32Array(4 * c.nMels);
    const weights: number[] = [];
    for (let m = 0; m < c.nMels; m++) {
      const row = fb.subarray(m * this.nBins, (m + 1) * this.nBins);
      let lo = row.findIndex((v) => v !== 0);
      let hi = lo;
      for (let k = lo; k >= 0 && k < this.nBins; k++) if (row[k] !== 0) hi = k;
      if (lo < 0) { lo = 0; hi = -1; }
      idx.set([lo, hi - lo + 1, weights.length, 0], 4 * m);
      for (let k = lo; k <= hi; k++) weights.push(row[k]);
    }
    this.win = this.upload(win, 'logmel-window');
    this.tw = this.upload(tw, 'logmel-twiddles');
    this.fbW = this.upload(new Float32Array(weights.length ? weights : [0]), 'logmel-filter-weights');
    this.fbIdx = this.upload(idx, 'logmel-filter-index');
  }

  /** The shared extractor of `rt` for this config and tuning (tables uploaded on first use). */
  static for(rt: Runtime = runtime(), cfg: Partial<LogMelConfig> = {}, tuning: Partial<LogMelGpuTuning> = {}): LogMelGpu {
    let m = cache.get(rt);
    if (!m) { m = new Map(); cache.set(rt, m); }
    const key = JSON.stringify([{ ...DEFAULT_LOGMEL_CONFIG, ...cfg }, resolveTuning(rt, tuning, cfg)]);
    let x = m.get(key);
    if (!x || x.disposed) { x = new LogMelGpu(rt, cfg, tuning); m.set(key, x); }
    return x;
  }

  private upload(data: Float32Array | Uint32Array, label: string): GPUBuffer {
    const buf = this.rt.device.createBuffer({ size: Math.max(16, data.byteLength), usage: STORAGE | COPY_DST, label });
    this.rt.write(buf, data);
    this.buffers.push(buf);
    return buf;
  }

  private uploadTensor(data: Float32Array | Int32Array, shape: number[]): Tensor {
    const t = empty(shape, data instanceof Int32Array ? 'i32' : 'f32', this.rt);
    this.rt.write(t.buffer, data);
    return t;
  }

  /** Frames of a clip of `nSamples` samples. */
  numFrames(nSamples: number): number { return numFrames(nSamples, this.cfg.hopLength); }

  /**
   * Normalised log-mel of a batch. `samples` is a tensor [B, L] or [L], or one Float32Array per clip
   * (packed into a zero-padded batch). Returns a new tensor [B, nMels, T], T from the longest clip.
   */
  compute(samples: Tensor | Float32Array | readonly Float32Array[], opts: LogMelGpuCallOptions = {}): Tensor {
    if (this.disposed) throw new Error('LogMelGpu used after dispose()');
    let x: Tensor;
    let owned = false;
    let lens: number[];
    if (samples instanceof Tensor) {
      if (samples.dtype !== 'f32' || (samples.rank !== 1 && samples.rank !== 2)) {
        throw new Error(`logMelGpu: expected float32 samples [B, L] or [L], got ${samples.dtype} [${samples.shape}]`);
      }
      x = samples;
      const [B, L] = samples.rank === 1 ? [1, samples.shape[0]] : samples.shape;
      lens = opts.lengths ? [...opts.lengths] : new Array(B).fill(L);
      if (lens.length !== B) throw new Error(`logMelGpu: ${lens.length} lengths for a batch of ${B}`);
      if (lens.some((n) => !Number.isInteger(n) || n < 1 || n > L)) throw new Error(`logMelGpu: lengths must be integers in 1..${L}, got [${lens}]`);
    } else {
      const clips = samples instanceof Float32Array ? [samples] : samples;
      if (clips.length === 0) throw new Error('logMelGpu: empty batch');
      lens = clips.map((c) => c.length);
      if (opts.lengths) throw new Error('logMelGpu: lengths are taken from the arrays themselves');
      const L = Math.max(...lens);
      const packed = new Float32Array(clips.length * L);
      clips.forEach((c, i) => packed.set(c, i * L));
      x = this.uploadTensor(packed, [clips.length, L]);
      owned = true;
    }
    if (lens.some((n) => n < 1)) throw new Error('logMelGpu: empty signal');
    const B = lens.length;
    const rowStride = x.rank === 1 ? x.shape[0] : x.shape[1];
    const T = this.numFrames(Math.max(...lens));
    if (B > 65535) throw new Error(`logMelGpu: batch ${B} exceeds 65535 clips`);
    const lensT = this.uploadTensor(Int32Array.from(lens), [B]);
    const y = empty([B, this.cfg.nMels, T], 'f32', this.rt);
    const c = this.cfg;
    const uniforms = {
      rowStride, nFrames: T, nMels: c.nMels, hop: c.hopLength,
      mean: c.mean, invStd: 1 / c.std, logEps: c.logEps, padValue: opts.padValue ?? 0, clip0: 0,
    };
    const { method, workgroupSize: WG, framesPerGroup } = this.tuning;
    const common = { x: x.buffer, lens: lensT.buffer, win: this.win };
    if (method === 'matmul') {
      this.matmulPath(B, T, uniforms, common, y);
    } else if (method === 'fft-thread') {
      this.perFramePath(B, T, uniforms, common, y);
    } else {
      const [gx, gz] = grid1d(Math.ceil(T / framesPerGroup), this.rt.device.limits.maxComputeWorkgroupsPerDimension);
      this.rt.dispatch(logmelK('main'), {
        buffers: { ...common, tw: this.tw, fbW: this.fbW, fbIdx: this.fbIdx, y: y.buffer },
        uniforms, workgroups: [gx, B, gz],
        overrides: { P: this.P, Q: this.Q, WG, METHOD: method === 'dft-group' ? 1 : 0, FPW: framesPerGroup },
      });
    }
    lensT.dispose();
    if (owned) x.dispose();
    return y;
  }

  /** 'fft-thread': 4 frames per invocation, intermediates in a scratch buffer reused across chunks of clips. */
  private perFramePath(B: number, T: number, uniforms: Record<string, number>, common: Record<string, GPUBuffer>, y: Tensor): void {
    const WG = this.tuning.workgroupSize;
    const groups = Math.ceil(T / 4);
    const perClip = groups * (2 * this.Q * (Math.floor(this.P / 2) + 1) + this.nBins) * 16;
    const limit = Math.min(this.tuning.scratchBytes, this.rt.device.limits.maxStorageBufferBindingSize);
    if (perClip > limit) throw new Error(`logMelGpu: a clip of ${T} frames needs ${perClip} bytes of scratch, over ${limit}`);
    const chunk = Math.min(B, Math.floor(limit / perClip), 65535);
    const scratch = empty([chunk * perClip / 4], 'f32', this.rt);
    const [gx, gz] = grid1d(Math.ceil(groups / WG), this.rt.device.limits.maxComputeWorkgroupsPerDimension);
    for (let clip0 = 0; clip0 < B; clip0 += chunk) {
      this.rt.dispatch(logmelK('per_frame'), {
        buffers: { ...common, tw: this.tw, fbW: this.fbW, fbIdx: this.fbIdx, y: y.buffer, scratch: scratch.buffer },
        uniforms: { ...uniforms, clip0 }, workgroups: [gx, Math.min(chunk, B - clip0), gz],
        overrides: { P: this.P, Q: this.Q, WG },
      });
    }
    scratch.dispose();
  }

  private matmulPath(B: number, T: number, uniforms: Record<string, number>, common: Record<string, GPUBuffer>, y: Tensor): void {
    const N = this.cfg.nFft, H = this.nBins;
    if (T > 65535) throw new Error(`logMelGpu: the matmul method handles at most 65535 frames per clip, got ${T}`);
    if (!this.basis) {
      const basis = new Float32Array(N * 2 * H);
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < H; k++) {
          const a = (2 * Math.PI * ((n * k) % N)) / N;
          basis[n * 2 * H + k] = Math.cos(a);
          basis[n * 2 * H + H + k] = -Math.sin(a);
        }
      }
      const buf = this.upload(basis, 'logmel-dft-basis');
      // Untracked: the cached basis must outlive any scope() it happens to be created in.
      this.basis = new Tensor([N, 2 * H], new Storage(this.rt, buf, basis.byteLength), 'f32', false);
      this.basis.storage.release = () => {};
    }
    const overrides = { P: this.P, Q: this.Q, WG: this.tuning.workgroupSize };
    const frames = empty([B * T, N], 'f32', this.rt);
    this.rt.dispatch(logmelK('frames_out'), { buffers: { ...common, frames: frames.buffer }, uniforms, workgroups: [T, B], overrides });
    const spec = matmulRaw(frames, this.basis);
    frames.dispose();
    this.rt.dispatch(logmelK('mel_from_spec'), {
      buffers: { lens: common.lens, spec: spec.buffer, fbW: this.fbW, fbIdx: this.fbIdx, y: y.buffer },
      uniforms, workgroups: [T, B], overrides,
    });
    spec.dispose();
  }

  /** Free the constant tables (the runtime frees them anyway when it is destroyed). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.rt.flush();
    // Destroying is deferred until recorded work that reads the tables has completed.
    const bufs = this.buffers;
    this.buffers = [];
    this.rt.device.queue.onSubmittedWorkDone().then(() => { for (const b of bufs) b.destroy(); }, () => {});
  }
}

/**
 * Normalised log-mel spectrogram(s) on the GPU: [B, nMels, T]. `cfg` overrides the spec's front end
 * (n_fft 400, hop 160, 80 Slaney mels 50–8000 Hz, mean −7.1, std 4.2).
 */
export function logMelGpu(
  samples: Tensor | Float32Array | readonly Float32Array[],
  opts: Partial<LogMelConfig> & LogMelGpuCallOptions & { tuning?: Partial<LogMelGpuTuning>; rt?: Runtime } = {},
): Tensor {
  const { lengths, padValue, tuning, rt, ...cfg } = opts;
  return LogMelGpu.for(rt ?? runtime(), cfg, tuning).compute(samples, { lengths, padValue });
}
