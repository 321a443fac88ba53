/**
 * `node dist/gpu-report.js OUTDIR`: the short table the GPU check prints last, from what its stages
 * left in OUTDIR (stages.jsonl and each stage's JSON): the adapter, the op suite and golden step
 * results, our matmul TFLOP/s as a fraction of the f32 peak, kernels-bench ratios against tfjs,
 * jax-js and PyTorch, the training step against PyTorch, and pre-training throughput with peak
 * memory. Writes OUTDIR/summary.json and OUTDIR/summary.txt too. Missing pieces read "not run".
 * Exit 0 when every stage that ran passed, 1 otherwise.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32PeakFor } from './peaks';

/* eslint-disable @typescript-eslint/no-explicit-any */
const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error(`usage: node dist/gpu-report.js OUTDIR (the folder the GPU check wrote${dir ? `; ${dir} not found` : ''})`);
  process.exit(2);
}
const readJson = (f: string): any => {
  const p = join(dir, f);
  if (!existsSync(p)) return null;
  try { return JSON.parse(readFileSync(p, 'utf8')); } catch { return null; }
};
const stages: any[] = existsSync(join(dir, 'stages.jsonl'))
  ? readFileSync(join(dir, 'stages.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  : [];
const meta = readJson('meta.json') ?? {};
const f = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
const x = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v.toFixed(2)}×`);
const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'unknown' : `${(100 * v).toFixed(1)} %`);
const lines: string[] = [];
const say = (s = '') => lines.push(s);
const table = (head: string[], rows: string[][]) => {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  say(head.map((h, i) => h.padEnd(w[i])).join(' | '));
  say(w.map((n) => '-'.repeat(n)).join('-|-'));
  for (const r of rows) say(r.map((c, i) => (c ?? '').padEnd(w[i])).join(' | '));
};

const adapter = readJson('adapter.json');
const deviceName: string = adapter?.name ?? meta.gpu ?? 'unknown adapter';
const peak = f32PeakFor(`${deviceName} ${meta.gpu ?? ''}`);
say(`AaSP GPU check (${meta.mode ?? '?'}) on ${deviceName}${meta.gpu ? ` [${meta.gpu}]` : ''}; commit ${meta.commit ?? '?'}; ${meta.date ?? ''}`);
say();
table(['stage', 'status', 'seconds'], stages.map((s) => [s.stage, s.status, f(s.seconds, 0)]));
say();
if (adapter) {
  const l = adapter.limits ?? {};
  say(`adapter: f16 ${adapter.shaderF16 ? 'yes' : 'no'}; subgroups ${adapter.subgroups ? `yes (${adapter.subgroupMinSize}..${adapter.subgroupMaxSize})` : 'no'}; timestamp-query ${adapter.timestampQuery ? 'yes' : 'no'}; `
    + `max storage binding ${f(l.maxStorageBufferBindingSize / 2 ** 20, 0)} MiB, workgroup storage ${l.maxComputeWorkgroupStorageSize} B, invocations ${l.maxComputeInvocationsPerWorkgroup}`);
} else say('adapter: not run');

const ops = readJson('op-suite.json');
say(`op suite: ${ops ? `${ops.passed}/${ops.cases} cases passed (${ops.ops} ops${ops.complete === false ? '; INCOMPLETE: stopped before the last op' : ''})${ops.failed ? `; failing: ${[...new Set(ops.records.filter((r: any) => !r.ok).map((r: any) => r.op))].join(', ')}` : ''}` : 'not run'}`);
const golden = readJson('golden-step.json');
say(`golden step vs PyTorch fixture: ${golden ? `${golden.checks - golden.failed}/${golden.checks} checks passed` : 'not run'}`);

const torch = readJson('torch-bench.json');
const torchMs = new Map<string, number>((torch?.records ?? []).filter((r: any) => Number.isFinite(r.torch_ms)).map((r: any) => [`${r.name}|${r.shape}`, r.torch_ms]));
const torchOf = (r: any) => torchMs.get(`${r.name}|${r.shape}`) ?? null;
const mm = readJson('matmul-peak.json');
say();
say(`f32 peak: ${peak ? `${peak.f32Tflops} TFLOP/s (${peak.name})` : 'unknown for this device'}; goal: 4096³ matmul ≥ 40 % of it`);
if (mm?.records?.length) {
  table(['matmul', 'shape', 'ours ms', 'TFLOP/s', 'of f32 peak', 'torch ms', 'torch/ours'],
    mm.records.map((r: any) => {
      const t = torchOf(r);
      return [r.name, r.shape, f(r.ours_ms, 3), f(r.tflops, 2), pct(peak ? r.tflops / peak.f32Tflops : null), f(t, 3), x(t === null ? null : t / r.ours_ms)];
    }));
} else say('matmul peak: not run');

const kb = readJson('kernels-bench.json');
say();
if (Array.isArray(kb) && kb.length) {
  say('kernels-bench (ratios > 1: we are faster; tfjs/jax by wall clock; torch by CUDA events, or wall clock on a CPU, vs our GPU time)');
  table(['case', 'shape', 'ours ms', 'GFLOP/s', 'vs tfjs', 'vs jax', 'vs torch'],
    kb.map((r: any) => { const t = torchOf(r); return [r.name, r.shape, f(r.ours_ms, 3), f(r.gflops, 1), x(r.speedup?.tfjs), x(r.speedup?.jax), x(t === null ? null : t / r.ours_ms)]; }));
} else say('kernels-bench: not run');
if (torch?.note) say(`torch: ${torch.note}`);
else if (torch) say(`torch ${torch.torch} on ${torch.device} (TF32 ${torch.tf32 ? 'on' : 'off'})`);

const sb = readJson('step-bench.json');
say();
if (Array.isArray(sb) && sb.length) {
  say('training step vs PyTorch (ratio = torch ms / our ms; goal: base ≥ 0.5)');
  table(['config', 'B', 'ours ms', 'torch ms', 'ratio', 'peak pool MiB'],
    sb.map((r: any) => [r.config, String(r.B), f(r.ours_ms, 1), f(r.torch_ms, 1), x(r.ratio), f((r.peak_pool_bytes ?? NaN) / 2 ** 20, 0)]));
  for (const n of new Set(sb.map((r: any) => r.torch_note).filter((v: unknown) => v))) say(`  ${n}`);
} else {
  const st = stages.find((s) => s.stage === 'step-bench');
  say(`training step vs PyTorch: ${st ? `no results (stage ${st.status})` : 'not run'}`);
}

const tp = ['tiny', 'small', 'base'].map((c) => readJson(`train-${c}.json`)).filter((r) => r);
say();
if (tp.length) {
  say('pre-training throughput (GPU log-mel; steps after the first two)');
  table(['config', 'B', 'clips/s', 'step ms', 'first step ms', 'data wait ms', 'peak pool MiB'],
    tp.map((r: any) => [r.config, String(r.batch), f(r.clips_per_s, 2), f(r.step_ms, 0), f(r.first_step_ms, 0), f(r.data_wait_ms, 0), f((r.peak_bytes ?? NaN) / 2 ** 20, 0)]));
} else say('pre-training throughput: not run');

// The two goals of docs/gpu.md, as verdicts.
say();
const mm4096 = (mm?.records ?? []).find((r: any) => r.n === 4096 && !r.transA && !r.transB)
  ?? (mm?.records ?? []).find((r: any) => /^4096x4096 · 4096x4096$/.test(r.shape));
const frac = mm4096 && peak ? mm4096.tflops / peak.f32Tflops : null;
say(`goal 4096³ f32 matmul ≥ 40 % of peak: ${!mm4096 ? 'not measured' : frac === null ? `${f(mm4096.tflops)} TFLOP/s, peak unknown` : `${pct(frac)} — ${frac >= 0.4 ? 'met' : 'NOT met'}`}`);
const base = Array.isArray(sb) ? sb.find((r: any) => r.config === 'base') : null;
say(`goal base training step ≥ 0.5× PyTorch: ${!base || base.ratio === null || base.ratio === undefined ? 'not measured' : `${x(base.ratio)} — ${base.ratio >= 0.5 ? 'met' : 'NOT met'}`}`);

const failed = stages.filter((s) => s.status !== 'ok' && !String(s.status).startsWith('skipped'));
say();
say(failed.length ? `NOT ALL STAGES PASSED: ${failed.map((s) => `${s.stage} (${s.status})`).join(', ')}` : 'all stages that ran passed');
const text = lines.join('\n');
console.log(text);
writeFileSync(join(dir, 'summary.txt'), `${text}\n`);
writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({
  meta, device: deviceName, f32_peak_tflops: peak?.f32Tflops ?? null, stages, adapter,
  op_suite: ops && { cases: ops.cases, passed: ops.passed, failed: ops.failed }, golden: golden && { checks: golden.checks, failed: golden.failed },
  matmul: mm?.records ?? null, kernels: kb, torch: torch ?? null, step: sb, throughput: tp,
}, null, 1)}\n`);
process.exit(failed.length ? 1 : 0);
