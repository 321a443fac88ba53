/**
 * Data-parallel pre-training over Open MPI (`mpirun -np N node dist/pretrain.js --distributed`).
 *
 * Every rank builds the same model from the same seed, draws the same global batch (data order,
 * crops and masks come from the one run generator, advanced identically on every rank) and trains on
 * its contiguous share of B/N clips. After backward the gradients are averaged over ranks with
 * MPI_Allreduce on host staging buffers, so every rank applies the same update and the parameters
 * stay identical (checked every `checkEvery` steps with a hash, fatal on divergence).
 *
 * Batch statistics: the prediction loss is a mean over equal shares, so the mean of the ranks' losses
 * and gradients is the global one. The multi-mask InfoNCE is not: its negatives are all other clips
 * of the batch. Every rank therefore all-gathers the clip embeddings e [B·M, d] (its own rows stay
 * differentiable, the others are constants) and computes the full-batch loss; its gradient reaches
 * θ only through the local rows, so the sum over ranks is the full gradient, and the loss is scaled
 * by N before the averaging all-reduce. The N-rank step equals the 1-rank step to float32 rounding.
 *
 * Gradient buckets: the gradients are copied into one GPU staging buffer per bucket (about
 * `bucketMb` MB, parameters in reverse order, i.e. the order backward finishes them), mapped, and each
 * bucket's all-reduce starts as soon as its copy reaches the host, overlapping the later buckets'
 * read-back and the earlier buckets' upload. It cannot overlap the backward itself: the engine's
 * `backward()` records the whole tape in one synchronous call and hands the leaf gradients over only
 * at its end (there is no per-parameter "gradient ready" hook), so the exchange starts after it.
 */
import { tensor, type Tensor } from '../tensor/tensor';
import { concat } from '../ops';
import { runtime } from '../gpu/runtime';
import type { MaskSet } from '../aasp/masking';
import { Mpi, type HostBuffer, type Request } from '../parallel/mpi';
import { Watchdog } from '../parallel/watchdog';
import { checksumWords, divergentRanks } from '../parallel/checksum';
import { UsageError } from './options';

export interface DistributedOptions {
  /** Seconds a rank waits for the others in one exchange before ending the job. */
  timeoutS: number;
  /** Compare parameter checksums across ranks every N steps (0: only at the end). */
  checkEvery: number;
  bucketMb: number;
}

/** What `computeGradients` needs from the data-parallel layer (null on one process). */
export interface GradExchange {
  readonly world: number;
  /** Local rows [n, d] → all ranks' rows [N·n, d] in rank order, the local ones differentiable. */
  gatherRows(e: Tensor): Promise<Tensor>;
  /**
   * Average the gradients over ranks in place; returns the squared norm of the averaged gradient
   * and the prediction loss averaged over ranks.
   */
  reduceGradients(params: Tensor[], lossPred: number, lossRec: number): Promise<{ gradSq: number; lossPred: number; lossRec: number }>;
}

interface Bucket {
  params: Tensor[];
  offsets: number[];
  count: number;
  gpu: GPUBuffer;
  host: HostBuffer;
}

const MAP_READ = 0x0001, COPY_DST = 0x0008;
const FIRST_STEP_GRACE_S = 600;

export class DataParallel implements GradExchange {
  readonly rank: number;
  readonly world: number;
  private watchdog: Watchdog;
  private buckets: Bucket[] = [];
  private bucketKey = '';
  private small: HostBuffer;
  private gather: { send: HostBuffer; recv: HostBuffer; n: number } | null = null;
  /** This rank received SIGINT/SIGTERM; sent with the next step's loss all-reduce. */
  stopRequested: NodeJS.Signals | null = null;
  /** Some rank asked to stop by this step's all-reduce: every rank stops after this step. */
  stopAgreed = false;
  private step = -1;
  private timing = { allreduceMs: 0, syncMs: 0, gatherMs: 0 };

  private constructor(private readonly mpi: Mpi, readonly opts: DistributedOptions) {
    this.rank = mpi.rank;
    this.world = mpi.size;
    this.watchdog = new Watchdog(mpi, opts.timeoutS * 1000, (m) => this.fatal(m));
    this.small = mpi.alloc(8);
  }

  /**
   * MPI_Init and the rank's adapter, before the GPU opens. AASP_ADAPTERS="name0;name1;…" gives rank
   * with local rank i the adapter list[i mod length] (Dawn's adapter name filter); AASP_ADAPTER one
   * name for all.
   */
  static async start(opts: DistributedOptions, log: (m: string) => void): Promise<DataParallel> {
    const mpi = await Mpi.init();
    const list = (process.env.AASP_ADAPTERS ?? '').split(';').map((s) => s.trim()).filter(Boolean);
    if (list.length) process.env.AASP_ADAPTER = list[mpi.localRank % list.length];
    const dp = new DataParallel(mpi, opts);
    if (!process.env.OMPI_COMM_WORLD_SIZE) log('--distributed: not started by mpirun, running as a single rank (start with mpirun -np N)');
    else if (dp.rank === 0 && mpi.localSize > 1 && !list.length && !process.env.AASP_ADAPTER) {
      log(`--distributed: ${mpi.localSize} ranks on this node share its default adapter (set AASP_ADAPTERS to give each its own GPU; docs/distributed.md)`);
    }
    return dp;
  }

  get lead(): boolean { return this.rank === 0; }

  /** The global batch B must split into equal shares (equal shares keep the mean of means exact). */
  checkBatch(B: number): void {
    if (B % this.world !== 0) throw new UsageError(`--batch ${B} does not split over ${this.world} ranks (give a multiple of ${this.world})`);
  }

  /** First clip and clip count of this rank's share of a global batch of B. */
  shard(B: number): { start: number; count: number } {
    const count = B / this.world;
    return { start: this.rank * count, count };
  }

  /** This rank's clips of the global batch data [B, ...] (row-major, `perClip` values each). */
  localBatch(data: Float32Array, B: number): Float32Array {
    const { start, count } = this.shard(B);
    const per = data.length / B;
    return data.subarray(start * per, (start + count) * per);
  }

  /** This rank's rows of the global batch's masks (drawn for all B clips on every rank). */
  localMasks(ms: MaskSet): MaskSet {
    const { start, count } = this.shard(ms.B);
    const v = ms.masks * ms.nVisible, m = ms.masks * ms.nMasked;
    return { ...ms, B: count, vis: ms.vis.subarray(start * v, (start + count) * v), mask: ms.mask.subarray(start * m, (start + count) * m) };
  }

  /**
   * Step `s` starts (its number goes with the arrival notices). The first step of a process compiles
   * its kernels (tens of seconds on lavapipe, and ranks compile at different speeds), so its
   * collectives get FIRST_STEP_GRACE_S more time.
   */
  beginStep(s: number): void {
    this.watchdog.timeoutMs = (this.opts.timeoutS + (this.step < 0 ? FIRST_STEP_GRACE_S : 0)) * 1000;
    this.step = s;
    this.timing = { allreduceMs: 0, syncMs: 0, gatherMs: 0 };
  }

  async gatherRows(e: Tensor): Promise<Tensor> {
    const [rows, d] = e.shape;
    const n = rows * d;
    if (!this.gather || this.gather.n !== n) {
      if (this.gather) { this.mpi.free(this.gather.send); this.mpi.free(this.gather.recv); }
      this.gather = { send: this.mpi.alloc(n), recv: this.mpi.alloc(n * this.world), n };
    }
    const { send, recv } = this.gather;
    send.f32.set(await e.toFloat32());
    const t0 = performance.now(); // after the read-back, which waits for this rank's forward
    this.watchdog.begin(this.step);
    await this.watchdog.wait([this.mpi.iallgather(send, n, recv)], 'embedding all-gather');
    await this.watchdog.end();
    const parts: Tensor[] = [];
    if (this.rank > 0) parts.push(tensor(recv.f32.slice(0, this.rank * n), [this.rank * rows, d]));
    parts.push(e);
    if (this.rank < this.world - 1) parts.push(tensor(recv.f32.slice((this.rank + 1) * n), [(this.world - 1 - this.rank) * rows, d]));
    const all = concat(parts, 0);
    for (const p of parts) if (p !== e) p.dispose();
    this.timing.gatherMs = performance.now() - t0;
    return all;
  }

  private plan(params: Tensor[]): Bucket[] {
    const withGrad = params.filter((p) => p.grad);
    const key = withGrad.map((p) => p.id).join(',');
    if (key === this.bucketKey) return this.buckets;
    this.releaseBuckets();
    const cap = Math.max(1, Math.floor((this.opts.bucketMb * 1024 * 1024) / 4));
    const rt = runtime();
    let cur: Tensor[] = [];
    let size = 0;
    const close = () => {
      if (!cur.length) return;
      const offsets: number[] = [];
      let off = 0;
      for (const p of cur) { offsets.push(off); off += p.size; }
      const gpu = rt.device.createBuffer({ size: off * 4, usage: MAP_READ | COPY_DST, label: `allreduce-bucket-${this.buckets.length}` });
      this.buckets.push({ params: cur, offsets, count: off, gpu, host: this.mpi.alloc(off) });
      cur = [];
      size = 0;
    };
    // Reverse parameter order: the order backward completes them (the last layers first).
    for (const p of [...withGrad].reverse()) {
      if (size > 0 && size + p.size > cap) close();
      cur.push(p);
      size += p.size;
    }
    close();
    this.bucketKey = key;
    return this.buckets;
  }

  async reduceGradients(params: Tensor[], lossPred: number, lossRec: number): Promise<{ gradSq: number; lossPred: number; lossRec: number }> {
    const rt = runtime();
    const buckets = this.plan(params);
    for (const b of buckets) b.params.forEach((p, i) => rt.copy(p.grad!.buffer, 0, b.gpu, b.offsets[i] * 4, p.size * 4));
    rt.flush();
    const mapped = buckets.map((b) => b.gpu.mapAsync(MAP_READ));
    let t0 = 0;
    let smallReq: Request | null = null;
    const reqs: Request[] = [];
    for (let k = 0; k < buckets.length; k++) {
      const b = buckets[k];
      await mapped[k];
      if (k === 0) {
        t0 = performance.now();
        this.watchdog.begin(this.step);
        // The losses and the stop flag travel in one small all-reduce beside the gradients.
        this.small.f32[0] = lossPred;
        this.small.f32[1] = this.stopRequested ? 1 : 0;
        this.small.f32[2] = lossRec;
        smallReq = this.mpi.iallreduce(this.small, 3, 'sum');
      }
      b.host.f32.set(new Float32Array(b.gpu.getMappedRange(), 0, b.count));
      b.gpu.unmap();
      reqs.push(this.mpi.iallreduce(b.host, b.count, 'sum'));
    }
    const tMpi = performance.now();
    let gradSq = 0;
    const inv = 1 / this.world;
    for (let k = 0; k < buckets.length; k++) {
      const b = buckets[k];
      await this.watchdog.wait([reqs[k]], 'gradient all-reduce');
      const v = b.host.f32;
      for (let i = 0; i < b.count; i++) { const g = v[i] * inv; v[i] = g; gradSq += g * g; }
      b.params.forEach((p, i) => rt.write(p.grad!.buffer, v.subarray(b.offsets[i], b.offsets[i] + p.size)));
    }
    this.timing.allreduceMs = performance.now() - tMpi;
    await this.watchdog.wait(smallReq ? [smallReq] : [], 'loss all-reduce');
    await this.watchdog.end();
    this.stopAgreed = this.small.f32[1] > 0;
    this.timing.syncMs = performance.now() - t0;
    return { gradSq, lossPred: this.small.f32[0] / this.world, lossRec: this.small.f32[2] / this.world };
  }

  /** Compare a hash of the parameters over ranks; a mismatch ends the job naming the ranks. */
  async checkParams(params: Tensor[], step: number): Promise<void> {
    const words = checksumWords(await Promise.all(params.map((p) => p.toFloat32())));
    const mine = this.mpi.alloc(words.length);
    const all = this.mpi.alloc(words.length * this.world);
    try {
      mine.f32.set(words);
      this.watchdog.begin(step);
      await this.watchdog.wait([this.mpi.iallgather(mine, words.length, all)], 'parameter check');
      await this.watchdog.end();
      const bad = divergentRanks(all.f32, this.world);
      if (bad.length) this.fatal(`parameters diverged after step ${step}: rank${bad.length > 1 ? 's' : ''} ${bad.join(', ')} differ from rank 0 (non-deterministic all-reduce or a faulty device); ending the job`);
    } finally {
      this.mpi.free(mine);
      this.mpi.free(all);
    }
  }

  /**
   * After the update of step `done` (1-based count): compare parameters every `checkEvery` steps
   * and at the end, and add this step's communication times to its metrics.
   */
  async afterStep(done: number, total: number, params: Tensor[], m: object): Promise<void> {
    if ((this.opts.checkEvery > 0 && done % this.opts.checkEvery === 0) || done === total) await this.checkParams(params, done);
    Object.assign(m, this.stepMetrics());
  }

  /** Extra metrics.jsonl fields of the step just taken. */
  stepMetrics(): Record<string, number> {
    return { ranks: this.world, allreduce_ms: this.timing.allreduceMs, grad_sync_ms: this.timing.syncMs, gather_ms: this.timing.gatherMs };
  }

  /** Print the reason once and end every rank (mpirun stops the others); the last checkpoint stays. */
  fatal(message: string): never {
    process.stderr.write(`pretrain: ${message}\n`);
    this.mpi.abort(1);
  }

  private releaseBuckets(): void {
    for (const b of this.buckets) { b.gpu.destroy(); this.mpi.free(b.host); }
    this.buckets = [];
    this.bucketKey = '';
  }

  /** Wait for every rank (so none finalises while another still writes), then MPI_Finalize. */
  async close(): Promise<void> {
    this.watchdog.begin(this.step + 1);
    await this.watchdog.wait([this.mpi.ibarrier()], 'final barrier');
    await this.watchdog.end();
    this.releaseBuckets();
    if (this.gather) { this.mpi.free(this.gather.send); this.mpi.free(this.gather.recv); }
    this.mpi.free(this.small);
    this.watchdog.dispose();
    this.mpi.finalize();
  }
}
