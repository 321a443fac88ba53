/**
 * The GPU check must not rot between the rare occasions a GPU machine is lent: this builds the bundle
 * (uncompressed, from the dist/ that `npm test` just built) and runs scripts/gpu-check-all.sh --smoke
 * from it on this machine's adapter (lavapipe), then checks every stage's result and the summary.
 * The report's arithmetic (fraction of f32 peak by device name, failing stages) is checked on
 * hand-made results, since no GPU of the peak table is ever here.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32PeakFor } from '../scripts/gpu/peaks';

const tmp = mkdtempSync(join(tmpdir(), 'gpu-check-smoke-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const json = (f: string) => JSON.parse(readFileSync(f, 'utf8'));

describe('f32 peak table', () => {
  it('finds the GPUs by adapter or CUDA name, and no CPU driver', () => {
    expect(f32PeakFor('nvidia / hopper / NVIDIA H100 80GB HBM3')?.f32Tflops).toBe(67);
    expect(f32PeakFor('NVIDIA H100 PCIe')?.f32Tflops).toBe(51);
    expect(f32PeakFor('NVIDIA H200')?.f32Tflops).toBe(67);
    expect(f32PeakFor('mesa / software / llvmpipe')).toBeNull();
  });
});

describe('Vulkan set-up for the NVIDIA machine (scripts/gpu/vulkan-env.sh) on a fake driver folder', () => {
  const root = join(tmp, 'nvidia'), std = join(tmp, 'std-icd');
  /** Run aasp_vulkan_env in a clean shell and return what it exported. */
  const envAfter = (extra: Record<string, string>) => {
    const script = '. scripts/gpu/vulkan-env.sh; aasp_vulkan_env /bundle/vulkan/lib; printf "%s\\n" "$ICD_NOTE" "${VK_DRIVER_FILES:-}" "${VK_ICD_FILENAMES:-}" "$LD_LIBRARY_PATH"';
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH!, AASP_NVIDIA_ROOT: root, AASP_VK_STD_DIRS: std, ...extra } });
    expect(r.status, r.stderr).toBe(0);
    const [note, driverFiles, icdFilenames, ldPath] = r.stdout.split('\n');
    return { note, driverFiles, icdFilenames, ldPath };
  };
  beforeAll(() => {
    mkdirSync(join(root, 'share/vulkan/icd.d'), { recursive: true });
    mkdirSync(join(root, 'lib64'), { recursive: true });
    mkdirSync(std, { recursive: true });
    writeFileSync(join(root, 'share/vulkan/icd.d/nvidia_icd.json'), '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3.289"}}');
    writeFileSync(join(root, 'lib64/libGLX_nvidia.so.0'), '');
  });

  it('finds the ICD under the driver folder and makes its library findable', () => {
    const e = envAfter({});
    const icd = join(root, 'share/vulkan/icd.d/nvidia_icd.json');
    expect(e.driverFiles).toBe(icd);
    expect(e.icdFilenames).toBe(icd);
    expect(e.ldPath).toBe(`/bundle/vulkan/lib:${join(root, 'lib64')}`);
    expect(e.note).toMatch(/libGLX_nvidia\.so\.0 from .*lib64/);
  });

  it('keeps an ICD given by the caller, and leaves the loader alone when there is no NVIDIA ICD', () => {
    expect(envAfter({ VK_DRIVER_FILES: '/x.json' })).toMatchObject({ driverFiles: '/x.json', ldPath: '/bundle/vulkan/lib' });
    const none = envAfter({ AASP_NVIDIA_ROOT: join(tmp, 'no-such-folder') });
    expect(none).toMatchObject({ note: 'loader defaults', driverFiles: '', icdFilenames: '', ldPath: '/bundle/vulkan/lib' });
  });

  it('uses an NVIDIA ICD in a standard place as it is', () => {
    writeFileSync(join(std, 'nvidia_icd.json'), '{"ICD": {"library_path": "/abs/libGLX_nvidia.so.0"}}');
    const e = envAfter({});
    expect(e.note).toBe(`standard location ${join(std, 'nvidia_icd.json')}`);
    expect(e.driverFiles).toBe('');
    rmSync(join(std, 'nvidia_icd.json'));
  });
});

describe('gpu-report on hand-made results', () => {
  it('reports the fraction of peak and ratios, and fails when a stage failed', () => {
    const dir = join(tmp, 'fake');
    mkdirSync(dir);
    writeFileSync(join(dir, 'stages.jsonl'), ['{"stage": "adapter", "status": "ok", "seconds": 1}', '{"stage": "op-suite", "status": "failed (exit 1)", "seconds": 9}', '{"stage": "step-bench", "status": "skipped (dist/step-bench.js not available)", "seconds": 0}'].join('\n'));
    writeFileSync(join(dir, 'adapter.json'), JSON.stringify({ name: 'nvidia / hopper / NVIDIA H100 80GB HBM3', shaderF16: true, subgroups: true, subgroupMinSize: 32, subgroupMaxSize: 32, timestampQuery: true, limits: { maxStorageBufferBindingSize: 2 ** 31 } }));
    writeFileSync(join(dir, 'matmul-peak.json'), JSON.stringify({ records: [{ name: 'matmul A·B', shape: '4096x4096 · 4096x4096', ours_ms: 4.1, tflops: 33.5 }] }));
    writeFileSync(join(dir, 'step-bench.json'), JSON.stringify([{ config: 'base', B: 32, ours_ms: 250, torch_ms: 100, ratio: 0.4, peak_pool_bytes: 2 ** 30, torch_note: null }]));
    writeFileSync(join(dir, 'torch-bench.json'), JSON.stringify({ torch: '2.11', device: 'NVIDIA H100 80GB HBM3', tf32: false, records: [{ name: 'matmul A·B', shape: '4096x4096 · 4096x4096', torch_ms: 2.05 }] }));
    const r = spawnSync(process.execPath, ['dist/gpu-report.js', dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/f32 peak: 67 TFLOP\/s/);
    expect(r.stdout).toMatch(/matmul A·B\s*\|\s*4096x4096 · 4096x4096\s*\|\s*4\.100\s*\|\s*33\.50\s*\|\s*50\.0 %\s*\|\s*2\.050\s*\|\s*0\.50×/);
    expect(r.stdout).toMatch(/NOT ALL STAGES PASSED: op-suite \(failed \(exit 1\)\)/);
    expect(r.stdout).toMatch(/goal 4096³ f32 matmul ≥ 40 % of peak: 50\.0 % — met/);
    expect(r.stdout).toMatch(/goal base training step ≥ 0\.5× PyTorch: 0\.40× — NOT met/);
    expect(r.stdout).toMatch(/base\s*\|\s*32\s*\|\s*250\.0\s*\|\s*100\.0\s*\|\s*0\.40×\s*\|\s*1024/);
    expect(json(join(dir, 'summary.json')).f32_peak_tflops).toBe(67);
  });
});

describe('gpu-check-all.sh --smoke from a fresh bundle (lavapipe)', () => {
  const bundle = join(tmp, 'bundle'), out = join(tmp, 'out');
  let run: ReturnType<typeof spawnSync>;
  let seconds = 0;

  beforeAll(() => {
    const b = spawnSync('bash', ['scripts/gpu-bundle.sh', '--fast', '--no-build', '--out', bundle], { encoding: 'utf8' });
    expect(b.status, `${b.stdout}\n${b.stderr}`).toBe(0);
    const t0 = Date.now();
    run = spawnSync('bash', ['scripts/gpu-check-all.sh', out, '--smoke', '--bundle', bundle, '--archive', join(tmp, 'out.tgz')], { encoding: 'utf8' });
    seconds = (Date.now() - t0) / 1000;
  }, 900_000);

  it('passes every stage and prints the table last', () => {
    const text = `${run.stdout}\n${run.stderr}`;
    expect(run.status, text).toBe(0);
    expect(run.stdout).toMatch(/AaSP GPU check \(smoke\) on /);
    expect(run.stdout).toMatch(/all stages that ran passed/);
    const stages = readFileSync(join(out, 'stages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stages.map((s) => s.stage)).toEqual(['adapter', 'op-suite', 'golden-step', 'matmul-peak', 'kernels-bench', 'torch-bench', 'step-bench', 'train-tiny']);
    for (const s of stages) expect(s.status, s.stage).toMatch(s.stage === 'step-bench' || s.stage === 'torch-bench' ? /^(ok|skipped)/ : /^ok$/);
    console.log(`gpu-check smoke: ${seconds.toFixed(0)} s`);
  });

  it('leaves each stage\'s results as JSON', () => {
    const adapter = json(join(out, 'adapter.json'));
    expect(adapter.name).toMatch(/\S/);
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(adapter.engine.kernelOk).toBe(true);
    const ops = json(join(out, 'op-suite.json'));
    expect(ops.cases).toBeGreaterThan(10);
    expect(ops.failed).toBe(0);
    const golden = json(join(out, 'golden-step.json'));
    expect(golden.checks).toBeGreaterThan(40);
    expect(golden.failed).toBe(0);
    const mm = json(join(out, 'matmul-peak.json'));
    expect(mm.records).toHaveLength(3);
    for (const r of mm.records) { expect(r.check_err).toBeLessThan(1e-4); expect(r.tflops).toBeGreaterThan(0); }
    const kb = json(join(out, 'kernels-bench.json'));
    expect(kb).toHaveLength(1);
    expect(kb[0].ours_ms).toBeGreaterThan(0);
    const tiny = json(join(out, 'train-tiny.json'));
    expect(tiny.clips_per_s).toBeGreaterThan(0);
    expect(tiny.peak_bytes).toBeGreaterThan(1 << 20);
    // Where this machine's python3 has torch, the PyTorch script ran on the CPU: it must have
    // understood every matmul shape the two benchmarks wrote (their shape strings are its input).
    if (existsSync(join(out, 'torch-bench.json'))) {
      const torch = json(join(out, 'torch-bench.json'));
      expect(torch.tf32).toBe(false);
      expect(torch.skipped).toEqual([]);
      expect(torch.records.map((r: { name: string }) => r.name).sort()).toEqual(['matmul A·B', 'matmul A·Bᵀ', 'matmul Aᵀ·B', 'matvec']);
    }
    const summary = json(join(out, 'summary.json'));
    expect(summary.op_suite.failed).toBe(0);
    expect(summary.throughput[0].config).toBe('tiny');
    expect(existsSync(join(tmp, 'out.tgz'))).toBe(true);
  });

  it('reruns only the stages named by --only, and rejects an unknown stage', () => {
    const out2 = join(tmp, 'only');
    const r = spawnSync('bash', ['scripts/gpu-check-all.sh', out2, '--smoke', '--bundle', bundle, '--only', 'adapter'], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const stages = readFileSync(join(out2, 'stages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(stages.filter((s) => s.status === 'ok').map((s) => s.stage)).toEqual(['adapter']);
    expect(stages.filter((s) => s.stage !== 'adapter').every((s) => /^skipped/.test(s.status))).toBe(true);
    const bad = spawnSync('bash', ['scripts/gpu-check-all.sh', out2, '--bundle', bundle, '--only', 'adapter,op-suit'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--only: no stage op-suit \(stages: adapter, op-suite/);
  });

  it('says what is wrong, with exit 2, when there is no bundle', () => {
    const r = spawnSync('bash', ['scripts/gpu-check-all.sh', join(tmp, 'x'), '--bundle', join(tmp, 'none')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no bundle at .*none \(make it with bash scripts\/gpu-bundle.sh/);
  });
});
