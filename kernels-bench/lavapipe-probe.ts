/**
 * What a CPU adapter's shader compiler makes of the operations our kernels are built from
 * (`node dist/lavapipe-probe.js`): measured costs that explain where the matmul's ceiling on
 * lavapipe is (docs/performance.md, "What limits the rest"). Three probes, each a few raw WGSL
 * kernels on the runtime's device:
 *
 * 1. Loads inside a loop: a vec4 load per iteration from a storage buffer or a uniform buffer,
 *    with an index that differs per lane or is the same for all lanes of a subgroup; against the
 *    same loop with no load. Reported as ns per vec4 load per invocation.
 * 2. The matmul's inner block (shaders/matmul_sg.wgsl's design: 8 lanes × 4 columns, A rows shared
 *    by subgroupShuffle) with B from a storage buffer or a uniform buffer: does cheaper loading of
 *    B move the kernel?
 * 3. Whether `fma()` becomes a fused multiply-add: compiles a tiny kernel in a child process with
 *    GALLIVM_DEBUG=asm and the shader cache off (lavapipe only), and counts vfmadd against vmulps/vaddps.
 *
 * Timing is wall time to a queue sync, median of the repeats; run on a quiet machine.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { init, runtime } from '../src/gpu/runtime';
import { parseArgs, usage, get, runCli, type FlagSpec } from '../src/eval/cli-args';
import { median } from './step-bench-stats';

const SPEC: Record<string, FlagSpec> = {
  reps: { type: 'int', help: 'timed repeats per kernel', default: 5 },
  json: { type: 'string', help: 'also write the records as JSON', meta: 'FILE' },
  'asm-child': { type: 'boolean', help: '(internal) compile the fma kernel once and exit', default: false },
};

interface Kernel { code: string; buffers: { data: Float32Array; uniform: boolean }[]; out: number; groups: number }

async function timeKernel(k: Kernel, reps: number): Promise<{ ms: number; compileMs: number; out: Float32Array }> {
  const device = runtime().device;
  const t0 = performance.now();
  const module = device.createShaderModule({ code: k.code });
  const pipe = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bufs = k.buffers.map((b) => {
    const buf = device.createBuffer({ size: b.data.byteLength, usage: (b.uniform ? GPUBufferUsage.UNIFORM : GPUBufferUsage.STORAGE) | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(buf, 0, b.data);
    return buf;
  });
  const out = device.createBuffer({ size: k.out * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: k.out * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const bg = device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [...bufs, out].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const run = async () => {
    const e = device.createCommandEncoder();
    const p = e.beginComputePass();
    p.setPipeline(pipe); p.setBindGroup(0, bg); p.dispatchWorkgroups(k.groups); p.end();
    device.queue.submit([e.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
  await run();
  const compileMs = performance.now() - t0;
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t = performance.now(); await run(); ts.push(performance.now() - t); }
  const e = device.createCommandEncoder();
  e.copyBufferToBuffer(out, 0, read, 0, k.out * 4);
  device.queue.submit([e.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const res = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  for (const b of [...bufs, out, read]) b.destroy();
  return { ms: median(ts), compileMs, out: res };
}

// Probe 1: one vec4 load per loop iteration (ITER iterations, 8-lane workgroups).
const ITER = 4096, LOAD_GROUPS = 512;
function loadKernel(kind: 'none' | 'storage' | 'uniform', lanes: 'distinct' | 'same'): Kernel {
  const decl = kind === 'uniform' ? 'var<uniform> X: array<vec4f, 4096>;' : 'var<storage, read> X: array<vec4f>;';
  const idx = lanes === 'distinct' ? '(i * 8u + lid) & 4095u' : 'i & 4095u';
  const body = kind === 'none' ? 'acc = fma(acc, vec4f(0.999), vec4f(f32(i & 7u)));' : `acc += X[${idx}];`;
  return {
    code: `@group(0) @binding(0) ${decl}
@group(0) @binding(1) var<storage, read_write> Y: array<vec4f>;
@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var acc = X[0] * 0.0; // every variant binds X (read once, outside the loop)
  for (var i = wid.x; i < wid.x + ${ITER}u; i++) { ${body} }
  Y[wid.x * 8u + lid] = acc;
}`,
    buffers: [{ data: new Float32Array(4096 * 4).fill(1), uniform: kind === 'uniform' }], out: LOAD_GROUPS * 8 * 4, groups: LOAD_GROUPS,
  };
}

// Probe 2: the sg8 matmul block, C[M, 128] = A[M, 128] · B[128, 128] repeated REP times, B from a storage or a uniform buffer.
const MB_N = 128, MB_K = 128, MB_REP = 40;
function blockKernel(uniformB: boolean, R: number, G: number, M: number, a: Float32Array, b: Float32Array): Kernel {
  const L: string[] = [`enable subgroups;
@group(0) @binding(0) var<storage, read> A: array<vec4f>;
@group(0) @binding(1) ${uniformB ? 'var<uniform> B: array<vec4f, 4096>;' : 'var<storage, read> B: array<vec4f>;'}
@group(0) @binding(2) var<storage, read_write> C: array<vec4f>;
@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let nb = ${MB_N / (32 * G)}u;
  let row0 = (wid.x / nb) * ${R}u;
  let col4 = (wid.x % nb) * ${8 * G}u + lane;`];
  for (let r = 0; r < R; r++) for (let g = 0; g < G; g++) L.push(`  var acc${r}_${g} = vec4f(0.0);`);
  L.push(`  for (var rep = 0u; rep < ${MB_REP}u; rep++) {`, `  for (var kb = 0u; kb < ${MB_K}u; kb += 32u) {`);
  for (let r = 0; r < R; r++) L.push(`    let ar${r} = A[(row0 + ${r}u) * ${MB_K / 4}u + kb / 4u + lane];`);
  L.push('    for (var q = 0u; q < 8u; q++) {');
  for (let g = 0; g < G; g++) for (let j = 0; j < 4; j++) L.push(`      let b${g}_${j} = B[(kb + q * 4u + ${j}u) * ${MB_N / 4}u + col4 + ${8 * g}u];`);
  for (let r = 0; r < R; r++) {
    L.push(`      { let x = subgroupShuffle(ar${r}, q);`);
    for (let g = 0; g < G; g++) L.push(`        acc${r}_${g} = fma(vec4f(x.w), b${g}_3, fma(vec4f(x.z), b${g}_2, fma(vec4f(x.y), b${g}_1, fma(vec4f(x.x), b${g}_0, acc${r}_${g}))));`);
    L.push('      }');
  }
  L.push('    }', '  }}');
  for (let r = 0; r < R; r++) for (let g = 0; g < G; g++) L.push(`  C[(row0 + ${r}u) * ${MB_N / 4}u + col4 + ${8 * g}u] = acc${r}_${g};`);
  L.push('}');
  return { code: L.join('\n'), buffers: [{ data: a, uniform: false }, { data: b, uniform: uniformB }], out: M * MB_N, groups: (M / R) * (MB_N / (32 * G)) };
}

const FMA_KERNEL = `@group(0) @binding(0) var<storage, read> X: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> Y: array<vec4f>;
@compute @workgroup_size(8)
fn main(@builtin(global_invocation_id) id: vec3u) { Y[id.x] = fma(X[id.x], X[id.x + 1u], X[id.x + 2u]); }`;

/** Child mode: compile and run the fma kernel once (the parent reads the driver's assembly from our stdout/stderr). */
async function asmChild(): Promise<void> {
  await timeKernel({ code: FMA_KERNEL, buffers: [{ data: new Float32Array(64), uniform: false }], out: 64, groups: 1 }, 0);
}

function fmaLowering(): { fused: number; mul: number; add: number } | null {
  const r = spawnSync(process.execPath, [process.argv[1], '--asm-child'], { encoding: 'utf8', env: { ...process.env, GALLIVM_DEBUG: 'asm', MESA_SHADER_CACHE_DISABLE: 'true' }, timeout: 120_000, maxBuffer: 64 << 20 });
  const text = `${r.stdout}\n${r.stderr}`;
  const count = (re: RegExp) => (text.match(re) ?? []).length;
  const fused = count(/\bvfn?m(add|sub)\d{3}[ps]s\b/g), mul = count(/\bvmulps\b/g), add = count(/\bvaddps\b/g);
  return fused + mul + add === 0 ? null : { fused, mul, add };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage('node dist/lavapipe-probe.js [options]', SPEC)); return 0; }
  const rt = await init();
  try {
    if (get.bool(a, 'asm-child')) { await asmChild(); return 0; }
    const reps = get.num(a, 'reps');
    console.log(`adapter: ${rt.adapterName}`);
    const records: Record<string, unknown>[] = [];

    console.log(`\n1. One vec4 load per loop iteration (${LOAD_GROUPS} workgroups × 8 invocations × ${ITER} iterations)`);
    console.log('load | lanes | ms | ns per load per invocation | vs no load');
    const base = await timeKernel(loadKernel('none', 'same'), reps);
    const per = (ms: number) => (ms * 1e6) / (LOAD_GROUPS * 8 * ITER);
    console.log(`none (one vec4 fma) | — | ${base.ms.toFixed(1)} | ${per(base.ms).toFixed(2)} | 1.0×`);
    for (const kind of ['storage', 'uniform'] as const) {
      for (const lanes of ['distinct', 'same'] as const) {
        const t = await timeKernel(loadKernel(kind, lanes), reps);
        if (t.out[0] !== ITER) throw new Error(`load probe ${kind}/${lanes}: read ${t.out[0]}, expected ${ITER}`);
        console.log(`${kind} | ${lanes} | ${t.ms.toFixed(1)} | ${per(t.ms).toFixed(2)} | ${(t.ms / base.ms).toFixed(1)}×`);
        records.push({ probe: 'load', kind, lanes, ms: t.ms, nsPerLoad: per(t.ms), vsNoLoad: t.ms / base.ms });
      }
    }

    console.log(`\n2. The sg8 matmul block with B from a storage or a uniform buffer ([M, ${MB_K}] · [${MB_K}, ${MB_N}], ${MB_REP} repeats)`);
    console.log('R × G | M | B from | ms | GFLOP/s | compile ms | max error');
    const M = 256;
    const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + s) * 0.5);
    const A = rnd(M * MB_K, 1), B = rnd(MB_K * MB_N, 2);
    for (const [R, G] of [[32, 2], [16, 2]]) {
      for (const uniformB of [false, true]) {
        const t = await timeKernel(blockKernel(uniformB, R, G, M, A, B), reps);
        let err = 0;
        for (let s = 0; s < 64; s++) {
          const i = (s * 37) % M, j = (s * 53) % MB_N;
          let v = 0;
          for (let k = 0; k < MB_K; k++) v += A[i * MB_K + k] * B[k * MB_N + j];
          err = Math.max(err, Math.abs(t.out[i * MB_N + j] / MB_REP - v));
        }
        const gflops = (2 * M * MB_N * MB_K * MB_REP) / (t.ms * 1e6);
        console.log(`${R} × ${G} | ${M} | ${uniformB ? 'uniform' : 'storage'} | ${t.ms.toFixed(1)} | ${gflops.toFixed(1)} | ${t.compileMs.toFixed(0)} | ${err.toExponential(1)}`);
        if (err > 1e-3) throw new Error(`block probe R ${R} G ${G}: error ${err}`);
        records.push({ probe: 'matmul-block', R, G, M, bFrom: uniformB ? 'uniform' : 'storage', ms: t.ms, gflops, compileMs: t.compileMs });
      }
    }

    console.log('\n3. fma() in the generated code');
    const fl = /llvmpipe/i.test(rt.adapterName) ? fmaLowering() : null;
    if (fl) console.log(`GALLIVM_DEBUG=asm of one fma kernel: ${fl.fused} fused multiply-adds, ${fl.mul} vmulps, ${fl.add} vaddps${fl.fused === 0 ? ' (fma is split into a multiply and an add)' : ''}`);
    else console.log('not measured (needs lavapipe and its GALLIVM_DEBUG=asm output)');
    records.push({ probe: 'fma-lowering', ...(fl ?? { measured: false }) });

    const json = get.str(a, 'json');
    if (json) { writeFileSync(json, JSON.stringify({ adapter: rt.adapterName, records }, null, 1)); console.log(`\nwrote ${json}`); }
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
