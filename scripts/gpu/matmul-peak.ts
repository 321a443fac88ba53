/**
 * `node dist/matmul-peak.js [--sizes 4096] [--reps 5] [--json FILE]`: square float32 matmuls (A·B,
 * A·Bᵀ, Aᵀ·B) at the sizes given, each checked against float64 on sampled entries, then timed (GPU time
 * from timestamp queries when the adapter has them, else wall clock to a queue sync; median of the
 * repeats), and reported as TFLOP/s and as the fraction of the adapter's f32 peak (scripts/gpu/peaks.ts;
 * "unknown" for adapters not in the table). The goal on a GPU: 4096³ at ≥ 40 % of peak.
 */
import { writeFileSync } from 'node:fs';
import { init, runtime } from '../../src/gpu/runtime';
import { matmul } from '../../src/ops';
import { tensor, scope } from '../../src/tensor/tensor';
import { noGrad } from '../../src/tensor/autograd';
import { rand, sampleOurs, summarize, type Sample } from '../../kernels-bench/harness';
import { get, parseArgs, runCli, usage, type FlagSpec } from '../../src/eval/cli-args';
import { f32PeakFor } from './peaks';

const SPEC: Record<string, FlagSpec> = {
  sizes: { type: 'numbers', help: 'square sizes N (N×N · N×N)', default: [4096], meta: 'LIST' },
  reps: { type: 'int', help: 'timed repeats per case (after one warm-up)', default: 5, meta: 'N' },
  json: { type: 'string', help: 'write the records as JSON', meta: 'FILE' },
};
const SYNOPSIS = 'node dist/matmul-peak.js [options]';

export interface PeakRecord {
  name: string; shape: string; n: number; transA: boolean; transB: boolean;
  ours_ms: number; ours_wall_ms: number; tflops: number; peak_tflops: number | null; peak_fraction: number | null; check_err: number;
}

/** max |got − want| / max |want| over 64 sampled entries, want in float64. */
function sampledErr(out: Float32Array, a: Float32Array, b: Float32Array, n: number, tA: boolean, tB: boolean): number {
  let err = 0, scale = 1e-30;
  for (let s = 0; s < 64; s++) {
    const i = Math.floor((s * 2654435761) % (n * n)), r = Math.floor(i / n), c = i % n;
    let w = 0;
    for (let k = 0; k < n; k++) w += (tA ? a[k * n + r] : a[r * n + k]) * (tB ? b[c * n + k] : b[k * n + c]);
    scale = Math.max(scale, Math.abs(w));
    err = Math.max(err, Math.abs(out[i] - w));
  }
  return err / scale;
}

async function main(): Promise<number> {
  const p = parseArgs(process.argv.slice(2), SPEC);
  if (p.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  const rt = await init();
  const peak = f32PeakFor(rt.adapterName);
  const records: PeakRecord[] = [];
  let bad = 0;
  try {
    console.log(`matmul peak on ${rt.describe()}; f32 peak ${peak ? `${peak.f32Tflops} TFLOP/s (${peak.name})` : 'unknown for this adapter'}`);
    for (const n of get.nums(p, 'sizes')!) {
      const a = rand(n * n, 71), b = rand(n * n, 72);
      const A = tensor(a, [n, n]), B = tensor(b, [n, n]);
      try {
        for (const [tA, tB, label] of [[false, false, 'A·B'], [false, true, 'A·Bᵀ'], [true, false, 'Aᵀ·B']] as const) {
          const f = () => matmul(A, B, { transA: tA, transB: tB });
          const out = await scope(() => noGrad(f)).toFloat32();
          const err = sampledErr(out, a, b, n, tA, tB);
          if (!(err < 1e-4)) bad++;
          await sampleOurs(() => { scope(() => noGrad(f)); }); // warm-up: pipelines built, pool filled
          const samples: Sample[] = [];
          for (let r = 0; r < get.num(p, 'reps'); r++) samples.push(await sampleOurs(() => { scope(() => noGrad(f)); }));
          const t = summarize(samples);
          const tflops = (2 * n * n * n) / (t.ms * 1e-3) / 1e12;
          const rec: PeakRecord = {
            name: `matmul ${label}`, shape: `${n}x${n}${tA ? 'ᵀ' : ''} · ${n}x${n}${tB ? 'ᵀ' : ''}`, n, transA: tA, transB: tB,
            ours_ms: t.ms, ours_wall_ms: t.wallMs, tflops, peak_tflops: peak?.f32Tflops ?? null, peak_fraction: peak ? tflops / peak.f32Tflops : null, check_err: err,
          };
          records.push(rec);
          console.log(`${rec.name} ${n}³: ${t.ms.toFixed(3)} ms (wall ${t.wallMs.toFixed(3)}), ${tflops.toFixed(3)} TFLOP/s${rec.peak_fraction === null ? '' : `, ${(100 * rec.peak_fraction).toFixed(1)} % of f32 peak`}; check ${err.toExponential(1)}${err < 1e-4 ? '' : ' WRONG'}`);
        }
      } finally {
        A.dispose(); B.dispose();
        runtime().pool.trim();
      }
    }
  } finally {
    rt.destroy();
  }
  const json = get.str(p, 'json');
  if (json) writeFileSync(json, `${JSON.stringify({ adapter: rt.adapterName, timestamp_query: rt.features.timestampQuery, peak: peak ? { name: peak.name, f32_tflops: peak.f32Tflops } : null, records }, null, 1)}\n`);
  return bad ? 1 : 0;
}

runCli(main);
