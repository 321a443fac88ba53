/**
 * Stand-alone SBLU benchmark: `node dist/sblu-bench.js [--batch 16,64] [--reps 3] [--jax]`.
 * Fused kernel vs the unfused composition, forward and forward + backward, time and peak pool bytes;
 * `--jax` adds the same unfused composition in jax-js (@jax-js/jax) on the same adapter.
 */
import { init } from '../src/gpu/runtime';
import '../src/ops';
import { runSbluBench, SBLU_BASE_SHAPES } from './sblu';
import { runJaxSblu } from './sblu-jax';
import { sblu } from '../src/aasp/sblu';
import { scopeAsync, tensor } from '../src/tensor/tensor';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const rt = await init();
try {
  console.log(`adapter: ${rt.describe()}`);
  const batches = (arg('batch') ?? '16,64').split(',').map(Number);
  const shapes = batches.map((B) => ({ ...SBLU_BASE_SHAPES[0], B }));
  await runSbluBench({ shapes, reps: Number(arg('reps') ?? 3) });
  if (process.argv.includes('--jax')) {
    rt.pool.trim();
    // First make sure the jax-js composition computes what the fused kernel does (small shape).
    const small = { B: 2, F: 3, T: 50, M: 4, K: 33 };
    await runJaxSblu(small, 1, () => {}, async (S, [u, a, w, g]) => {
      const ours = await scopeAsync(() => sblu(tensor(u, [2, 3, 50]), tensor(a, [2, 3, 4]), tensor(w, [2, 3, 4]), tensor(g, [3, 4])).toFloat32());
      let e = 0;
      for (let i = 0; i < S.length; i++) e = Math.max(e, Math.abs(S[i] - ours[i]));
      console.log(`jax-js composition vs fused kernel: max |ΔS| = ${e.toExponential(2)} over ${S.length} values`);
    });
    for (const s of shapes) await runJaxSblu(s, Number(arg('reps') ?? 3));
  }
} finally {
  rt.destroy();
}
