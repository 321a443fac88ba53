/**
 * Stand-alone SBLU benchmark: `node dist/sblu-bench.js [--batch 16,64] [--reps 3] [--jax] [--json FILE]`.
 * Fused kernel vs the unfused composition, forward and forward + backward, time and peak pool bytes;
 * `--jax` adds the same unfused composition in jax-js (@jax-js/jax) on the same adapter.
 */
import { init } from '../src/gpu/runtime';
import '../src/ops';
import { runSbluBench, SBLU_BASE_SHAPES } from './sblu';
import { runJaxSblu } from './sblu-jax';
import { sblu } from '../src/aasp/sblu';
import { scopeAsync, tensor } from '../src/tensor/tensor';

import { writeFileSync } from 'node:fs';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../src/eval/cli-args';

const FLAGS: Record<string, FlagSpec> = {
  batch: { type: 'numbers', help: 'batch sizes (B of the base [B, 80, 608] input)', default: [16, 64], meta: 'N[,N...]' },
  reps: { type: 'int', help: 'timed repeats per case', default: 3 },
  jax: { type: 'boolean', help: 'add the unfused composition in jax-js on the same adapter' },
  json: { type: 'string', help: 'write the results as JSON', meta: 'FILE' },
};
const USAGE = () => usage('node dist/sblu-bench.js [options]', FLAGS);

async function main(): Promise<number> {
  const p = parseArgs(process.argv.slice(2), FLAGS);
  if (p.help) { console.log(USAGE()); return 0; }
  if (p.positional.length) throw new UsageError(`unexpected argument ${p.positional[0]}`);
  const reps = get.num(p, 'reps');
  const rt = await init();
  try {
    const adapter = rt.describe();
    console.log(`adapter: ${adapter}`);
    const shapes = get.nums(p, 'batch')!.map((B) => ({ ...SBLU_BASE_SHAPES[0], B }));
    const results = await runSbluBench({ shapes, reps });
    let jax: Record<string, number> | null = null;
    if (get.bool(p, 'jax')) {
      rt.pool.trim();
      // First make sure the jax-js composition computes what the fused kernel does (small shape).
      const small = { B: 2, F: 3, T: 50, M: 4, K: 33 };
      await runJaxSblu(small, 1, () => {}, async (S, [u, a, w, g]) => {
        const ours = await scopeAsync(() => sblu(tensor(u, [2, 3, 50]), tensor(a, [2, 3, 4]), tensor(w, [2, 3, 4]), tensor(g, [3, 4])).toFloat32());
        let e = 0;
        for (let i = 0; i < S.length; i++) e = Math.max(e, Math.abs(S[i] - ours[i]));
        console.log(`jax-js composition vs fused kernel: max |ΔS| = ${e.toExponential(2)} over ${S.length} values`);
      });
      jax = {};
      for (const s of shapes) Object.assign(jax, await runJaxSblu(s, reps));
    }
    const json = get.str(p, 'json');
    if (json) {
      writeFileSync(json, JSON.stringify({ adapter, date: new Date().toISOString(), results, jax_median_ms: jax }, null, 2) + '\n');
      console.log(`wrote ${json}`);
    }
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
