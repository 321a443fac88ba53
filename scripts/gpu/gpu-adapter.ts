/**
 * `node dist/gpu-adapter.js [--json FILE]`: the adapter Dawn picks (high-performance), its info
 * (vendor, architecture, device, description), every limit, every feature (shader-f16, subgroups with
 * the subgroup sizes, timestamp-query, ...), the kernel tuning this engine chooses for it, and one
 * kernel run end to end through the engine's runtime. Exit 0 when usable, 1 when no adapter is found
 * or the kernel returned wrong values.
 */
import { writeFileSync } from 'node:fs';
import { init } from '../../src/gpu/runtime';
import { tuningFor } from '../../src/gpu/tuning';
import { add, tensor } from '../../src/index';
import { get, parseArgs, runCli, usage, type FlagSpec } from '../../src/eval/cli-args';

const SPEC: Record<string, FlagSpec> = { json: { type: 'string', help: 'write the report as JSON', meta: 'FILE' } };
const SYNOPSIS = 'node dist/gpu-adapter.js [options]';

/** Every numeric limit of a GPUSupportedLimits (its fields are getters on the prototype). */
function limitsOf(l: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (let o: object | null = l; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (l as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number' && !(k in out)) out[k] = v;
    }
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]) as GPU;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    console.error('gpu-adapter: no WebGPU adapter found (is a Vulkan loader and driver visible? see docs/gpu.md)');
    return 1;
  }
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const features = [...adapter.features].sort();
  const report = {
    info: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    name: [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' / '),
    features,
    shaderF16: features.includes('shader-f16'),
    subgroups: features.includes('subgroups'),
    subgroupMinSize: info.subgroupMinSize ?? null,
    subgroupMaxSize: info.subgroupMaxSize ?? null,
    timestampQuery: features.includes('timestamp-query'),
    limits: limitsOf(adapter.limits),
    engine: null as null | { adapter: string; tuning: unknown; kernelOk: boolean },
  };
  const rt = await init();
  try {
    const got = [...(await add(tensor([1, 2, 3]), tensor([10, 20, 30])).toArray())];
    report.engine = { adapter: rt.describe(), tuning: tuningFor(rt), kernelOk: got.join(',') === '11,22,33' };
  } finally {
    rt.destroy();
  }
  console.log(`adapter: ${report.name}`);
  console.log(`features: ${features.join(', ')}`);
  console.log(`shader-f16 ${report.shaderF16 ? 'yes' : 'no'}, subgroups ${report.subgroups ? `yes (sizes ${report.subgroupMinSize}..${report.subgroupMaxSize})` : 'no'}, timestamp-query ${report.timestampQuery ? 'yes' : 'no'}`);
  console.log(`limits: ${Object.entries(report.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`engine: ${report.engine.adapter}; tuning ${JSON.stringify(report.engine.tuning)}; test kernel ${report.engine.kernelOk ? 'ok' : 'WRONG'}`);
  const json = get.str(a, 'json');
  if (json) writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  return report.engine.kernelOk ? 0 : 1;
}

runCli(main);
