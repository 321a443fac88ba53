/**
 * kernels-bench: `node dist/kernels-bench.js [--filter NAME] [--json FILE] [--full] [--reps N] [--no-peers]`
 *
 * Every kernel over a shape table with the model's real shapes (cases.ts, block.ts). For each case:
 * first a check of our result (float64 reference, sampled for big shapes, or a second independent
 * path), then timing: a warm-up each, then repeats taken in turn (ours, tfjs, jax, ours, ...); ours
 * by timestamp queries when the adapter has them, peers (tfjs-backend-webgpu, jax-js) by wall clock to
 * a read-back on their own devices on the same adapter in this process. Times are medians; speed-ups
 * are the medians of the per-repeat ratios of wall clocks (ours to a queue sync, peers to a
 * read-back), so a slow spell of a shared machine hits both sides of a ratio. On CPU adapters the
 * worker-thread CPU time is shown too, which load from other processes does not inflate. Peers'
 * results are compared with ours (relative max error). Default: the quick table (about 10 minutes on
 * a 2-core lavapipe machine); --full adds the base-size shapes.
 */
import { writeFileSync } from 'node:fs';
import { init } from '../src/gpu/runtime';
import '../src/ops';
import { installNavigator, loadJax, loadTf, type Jax, type Tf } from './peers';
import { pairedSpeedup, relErr, sampleOurs, samplePeer, summarize, type Sample, type Timing } from './harness';
import { opCases, type BenchCase, type PeerImpl } from './cases';
import { blockCase, optimizerCases } from './block';
import { mmPlan, mmDims } from '../src/ops/matmul-kernels';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../src/eval/cli-args';

const FLAGS: Record<string, FlagSpec> = {
  filter: { type: 'string', help: 'only cases whose name or shape contains TEXT', meta: 'TEXT' },
  full: { type: 'boolean', help: 'add the base-size shapes' },
  reps: { type: 'int', help: 'timed repeats per case (default 5, 3 above 4 GFLOP)' },
  peers: { type: 'boolean', help: 'time tfjs and jax-js too (--no-peers: ours only)', default: true },
  json: { type: 'string', help: 'write the records as JSON (rewritten after each case)', meta: 'FILE' },
};
const USAGE = () => usage('node dist/kernels-bench.js [options]', FLAGS);

interface RecordOut {
  name: string; shape: string; ours_ms: number; ours_wall_ms: number; peers: { tfjs_ms: number | null; jax_ms: number | null };
  gflops: number; speedup: { tfjs: number | null; jax: number | null }; cpu_ms: { ours: number | null; tfjs: number | null; jax: number | null }; check_err: number | null;
  peer_err: { tfjs: number | null; jax: number | null };
}

const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const ratio = (r: number | null) => (r === null || !Number.isFinite(r) ? '—' : `${r.toFixed(2)}×`);

interface PeerRun { impl: PeerImpl | null; err: number | null; note?: string; samples: Sample[] }

/** The first line of a peer's error, for the table. */
const peerNote = (e: unknown) => (e as Error).message.split('\n')[0].slice(0, 100);

/** Build a peer's implementation and check its first result against ours (errors become a note). */
async function startPeer(make: (() => PeerImpl) | null, ours: Float32Array, map?: (o: Float32Array) => Float32Array): Promise<PeerRun> {
  const p: PeerRun = { impl: null, err: null, samples: [] };
  if (!make) return p;
  try {
    p.impl = make();
    const first = await p.impl.step();
    p.err = relErr(map ? map(first) : first, ours);
  } catch (e) {
    p.note = peerNote(e);
    stopPeer(p);
  }
  return p;
}

/** One timed repeat of a peer; a failure mid-way drops the peer with a note. */
async function stepPeer(p: PeerRun): Promise<void> {
  if (!p.impl) return;
  try {
    p.samples.push(await samplePeer(() => p.impl!.step().then(() => {})));
  } catch (e) {
    p.note = peerNote(e);
    stopPeer(p);
    p.samples = [];
  }
}

function stopPeer(p: PeerRun): void {
  try { p.impl?.dispose(); } catch { /* peer cleanup is best effort */ }
  p.impl = null;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), FLAGS);
  if (args.help) { console.log(USAGE()); return 0; }
  const full = get.bool(args, 'full');
  const filter = get.str(args, 'filter')?.toLowerCase();
  const jsonPath = get.str(args, 'json');
  const repsArg = args.flags.reps as number | undefined;
  if (args.positional.length) throw new UsageError(`unexpected argument ${args.positional[0]}`);
  await installNavigator();
  const rt = await init();
  const log = (s: string) => console.log(s);
  log(`adapter: ${rt.describe()}`);
  const peers = get.bool(args, 'peers');
  const tf: Tf | null = peers ? await loadTf(log) : null;
  const jax: Jax | null = peers ? await loadJax(log) : null;
  const cases: BenchCase[] = [
    ...opCases(),
    blockCase({ B: 8, N: 190, D: 192, H: 3 }),
    blockCase({ B: 2, N: 190, D: 768, H: 12 }),
    blockCase({ B: 8, N: 190, D: 768, H: 12 }, true),
    ...optimizerCases(),
  ].filter((c) => (full || !c.full) && (!filter || c.name.toLowerCase().includes(filter) || c.shape.toLowerCase().includes(filter)));
  log(`${cases.length} cases${full ? ' (full)' : ' (quick; --full adds base-size shapes)'}; times in ms, median of repeats`);
  const head = ['case', 'shape', 'ours', 'wall', 'GFLOP/s', 'tfjs', 'jax', 'vs tfjs', 'vs jax', 'cpu ours/tfjs/jax', 'check', 'peer err t/j'];
  log(head.join(' | '));
  const records: RecordOut[] = [];
  for (const c of cases) {
    const reps = repsArg ?? (c.flops > 4e9 ? 3 : 5);
    const impl = c.ours();
    let out: Float32Array, check: number | null = null;
    const ours: Sample[] = [];
    let tfr: PeerRun = { impl: null, err: null, samples: [] }, jr: PeerRun = { impl: null, err: null, samples: [] };
    try {
      out = await impl.result();
      if (impl.check) check = await impl.check(out);
      await sampleOurs(() => impl.run()); // warm-up: pipelines built, pool filled
      tfr = await startPeer(tf && c.tfjs ? () => c.tfjs!(tf) : null, out, c.peerToOurs);
      jr = await startPeer(jax && c.jax ? () => c.jax!(jax) : null, out, c.peerToOurs);
      for (let i = 0; i < reps; i++) {
        ours.push(await sampleOurs(() => impl.run()));
        await stepPeer(tfr);
        await stepPeer(jr);
      }
    } finally {
      impl.dispose();
      stopPeer(tfr);
      stopPeer(jr);
    }
    rt.pool.trim();
    const t: Timing = summarize(ours);
    const tft = tfr.samples.length ? summarize(tfr.samples) : null, jt = jr.samples.length ? summarize(jr.samples) : null;
    const sp = { tfjs: tft ? pairedSpeedup(ours, tfr.samples) : null, jax: jt ? pairedSpeedup(ours, jr.samples) : null };
    const gflops = c.flops / t.ms / 1e6;
    const rec: RecordOut = {
      name: c.name, shape: c.shape, ours_ms: t.ms, ours_wall_ms: t.wallMs, peers: { tfjs_ms: tft?.ms ?? null, jax_ms: jt?.ms ?? null },
      gflops, speedup: sp, cpu_ms: { ours: t.cpuMs, tfjs: tft?.cpuMs ?? null, jax: jt?.cpuMs ?? null }, check_err: check,
      peer_err: { tfjs: tfr.err, jax: jr.err },
    };
    records.push(rec);
    log([c.name, c.shape, fmt(t.ms), fmt(t.wallMs), fmt(gflops, 2), fmt(rec.peers.tfjs_ms), fmt(rec.peers.jax_ms),
      ratio(sp.tfjs), ratio(sp.jax),
      `${fmt(t.cpuMs, 0)}/${fmt(rec.cpu_ms.tfjs, 0)}/${fmt(rec.cpu_ms.jax, 0)}`,
      check === null ? '—' : check.toExponential(1), `${tfr.err === null ? '—' : tfr.err.toExponential(1)}/${jr.err === null ? '—' : jr.err.toExponential(1)}`,
    ].join(' | ') + (tfr.note ? ` [tfjs: ${tfr.note}]` : '') + (jr.note ? ` [jax: ${jr.note}]` : ''));
    if (jsonPath) writeFileSync(jsonPath, JSON.stringify(records, null, 1));
  }
  // Which matmul kernel each matmul case used, for the record.
  for (const c of cases.filter((x) => x.name.startsWith('matmul') || x.name === 'matvec')) {
    const m = /^(\d+)x(\d+)(ᵀ?) · (\d+)x(\d+)(ᵀ?)$/.exec(c.shape);
    if (!m) continue;
    const [M, K, tA, , N, tB] = [Number(m[1]), Number(m[2]), m[3] === 'ᵀ', 0, Number(m[5]), m[6] === 'ᵀ'];
    const d = mmDims(tA ? [K, M] : [M, K], tB ? [N, K] : [K, N], tA as boolean, tB as boolean);
    log(`  ${c.name} ${c.shape}: ${JSON.stringify(mmPlan(d, tA as boolean, tB as boolean))}`);
  }
  rt.destroy();
  return 0;
}

runCli(main);
