/**
 * kernels-bench: `node dist/kernels-bench.js [--filter NAME] [--json FILE] [--full] [--reps N] [--no-peers]`
 *
 * Every kernel over a shape table with the model's real shapes (cases.ts, block.ts). For each case:
 * first a check of our result (float64 reference, sampled for big shapes, or a second independent
 * path), then timing: warm-up, median of repeats; ours by timestamp queries when the adapter has them,
 * peers (tfjs-backend-webgpu, jax-js) by wall clock to a read-back on their own devices on the same
 * adapter in this process. Speed-ups compare wall clocks (ours to a queue sync, peers to a read-back);
 * on CPU adapters the worker-thread CPU time is shown too, which load from other processes does not
 * inflate. Peers' results are compared with ours (relative max error). Default: the quick table
 * (about 10 minutes on a 2-core lavapipe machine); --full adds the base-size shapes.
 */
import { writeFileSync } from 'node:fs';
import { init } from '../src/gpu/runtime';
import '../src/ops';
import { installNavigator, loadJax, loadTf, type Jax, type Tf } from './peers';
import { relErr, timeOurs, timePeer, type Timing } from './harness';
import { opCases, type BenchCase, type PeerImpl } from './cases';
import { blockCase, optimizerCases } from './block';
import { mmPlan, mmDims } from '../src/ops/matmul-kernels';

const argv = process.argv.slice(2);
const arg = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const flag = (name: string) => argv.includes(`--${name}`);
const full = flag('full');
const filter = arg('filter')?.toLowerCase();
const jsonPath = arg('json');
const repsArg = arg('reps');

interface RecordOut {
  name: string; shape: string; ours_ms: number; ours_wall_ms: number; peers: { tfjs_ms: number | null; jax_ms: number | null };
  gflops: number; cpu_ms: { ours: number | null; tfjs: number | null; jax: number | null }; check_err: number | null;
  peer_err: { tfjs: number | null; jax: number | null };
}

const fmt = (v: number | null | undefined, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const ratio = (a: number | null, b: number | null) => (a && b ? `${(b / a).toFixed(2)}×` : '—');

async function runPeer(make: (() => PeerImpl) | null, ours: Float32Array, reps: number, map?: (o: Float32Array) => Float32Array): Promise<{ t: Timing | null; err: number | null; note?: string }> {
  if (!make) return { t: null, err: null };
  let impl: PeerImpl | null = null;
  try {
    impl = make();
    const first = await impl.step();
    const err = relErr(map ? map(first) : first, ours);
    const t = await timePeer(() => impl!.step().then(() => {}), reps, 0);
    return { t, err };
  } catch (e) {
    return { t: null, err: null, note: (e as Error).message.split('\n')[0].slice(0, 100) };
  } finally {
    try { impl?.dispose(); } catch { /* peer cleanup is best effort */ }
  }
}

async function main(): Promise<void> {
  await installNavigator();
  const rt = await init();
  const log = (s: string) => console.log(s);
  log(`adapter: ${rt.describe()}`);
  const peers = !flag('no-peers');
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
    const reps = repsArg ? Number(repsArg) : c.flops > 4e9 ? 3 : 5;
    const impl = c.ours();
    let out: Float32Array, check: number | null = null, t: Timing;
    try {
      out = await impl.result();
      if (impl.check) check = await impl.check(out);
      t = await timeOurs(() => impl.run(), reps, 0);
    } finally {
      impl.dispose();
    }
    rt.pool.trim();
    const tfr = await runPeer(tf && c.tfjs ? () => c.tfjs!(tf) : null, out, reps, c.peerToOurs);
    const jr = await runPeer(jax && c.jax ? () => c.jax!(jax) : null, out, reps, c.peerToOurs);
    const gflops = c.flops / t.ms / 1e6;
    const rec: RecordOut = {
      name: c.name, shape: c.shape, ours_ms: t.ms, ours_wall_ms: t.wallMs, peers: { tfjs_ms: tfr.t?.ms ?? null, jax_ms: jr.t?.ms ?? null },
      gflops, cpu_ms: { ours: t.cpuMs, tfjs: tfr.t?.cpuMs ?? null, jax: jr.t?.cpuMs ?? null }, check_err: check,
      peer_err: { tfjs: tfr.err, jax: jr.err },
    };
    records.push(rec);
    log([c.name, c.shape, fmt(t.ms), fmt(t.wallMs), fmt(gflops, 2), fmt(rec.peers.tfjs_ms), fmt(rec.peers.jax_ms),
      ratio(t.wallMs, rec.peers.tfjs_ms), ratio(t.wallMs, rec.peers.jax_ms),
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
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
