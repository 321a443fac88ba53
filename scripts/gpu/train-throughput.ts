/**
 * `node dist/train-throughput.js [pretrain options] [--json FILE]`: a short pre-training run exactly as
 * `node dist/pretrain.js` does it (same options, same loop, built-in corpus unless --data), then its
 * throughput and memory: the median clips/s and step time of the steps after the first two (pipeline
 * compilation and pool warm-up land there), the median wait for data per step, and the peak bytes of
 * the runtime's tensor pool (`runtime().stats().peakBytes`, what the model's tensors held at most).
 * Defaults differ from pretrain's for this purpose: --features gpu, --steps 8, --checkpoint-every 0.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELP, parseArgs, UsageError } from '../../src/train/options';
import { runPretrain } from '../../src/train/pretrain-run';
import { cpuLogMel, gpuLogMel } from '../../src/train/data';
import { makeEmbedder } from '../../src/aasp/embedder';
import type { Runtime } from '../../src/gpu/runtime';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const j = argv.indexOf('--json');
  const json = j >= 0 ? argv[j + 1] : undefined;
  if (j >= 0 && (!json || json.startsWith('--'))) { process.stderr.write('train-throughput: --json needs a file name\n'); return 2; }
  if (j >= 0) argv.splice(j, 2);
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]));
  const defaults = [['--features', 'gpu'], ['--steps', '8'], ['--checkpoint-every', '0']].filter(([k]) => !given.has(k)).flat();
  let opts;
  try {
    opts = parseArgs([...defaults, ...argv]);
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`train-throughput: ${e.message}\n`); return 2; }
    throw e;
  }
  if (!opts) { process.stdout.write(`Usage: node dist/train-throughput.js [--json FILE] [pretrain options]\n\n${HELP}`); return 0; }
  let rt: Runtime | null = null;
  const t0 = performance.now();
  const code = await runPretrain(opts, {
    makeEmbedder,
    // The same front end pretrain would choose; the hook is here only to see the runtime.
    features: (cfg, r) => { rt = r; return (opts.features === 'gpu' ? gpuLogMel : cpuLogMel)(cfg.melMean, cfg.melStd, cfg.nMels); },
  });
  if (code !== 0) return code;
  const rows = readFileSync(join(opts.out, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const timed = rows.length > 2 ? rows.slice(2) : rows.slice(-1);
  const stats = (rt as Runtime | null)?.stats() ?? null;
  const rec = {
    config: opts.config, batch: opts.batch, steps: rows.length, features: opts.features, adapter: (rt as Runtime | null)?.adapterName ?? null,
    clips_per_s: median(timed.map((r) => r.clips_per_s)), step_ms: median(timed.map((r) => r.step_ms)),
    data_wait_ms: median(timed.map((r) => r.data_wait_ms)), first_step_ms: rows[0]?.step_ms ?? null,
    peak_bytes: stats?.peakBytes ?? null, final_loss: rows[rows.length - 1]?.loss ?? null, seconds: (performance.now() - t0) / 1000,
  };
  console.log(`throughput ${rec.config} B ${rec.batch} (${rec.features} features): ${rec.clips_per_s.toFixed(2)} clips/s, step ${rec.step_ms.toFixed(0)} ms (first ${Number(rec.first_step_ms).toFixed(0)} ms), data wait ${rec.data_wait_ms.toFixed(0)} ms, peak pool ${((rec.peak_bytes ?? 0) / 2 ** 20).toFixed(0)} MiB`);
  if (json) writeFileSync(json, `${JSON.stringify(rec, null, 1)}\n`);
  return Number.isFinite(rec.clips_per_s) ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`train-throughput: ${e instanceof Error ? (process.env.AASP_DEBUG ? e.stack : e.message) : String(e)}\n`);
  process.exit(1);
});
