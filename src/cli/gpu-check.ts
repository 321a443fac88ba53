/**
 * `node dist/gpu-check.js`: find a WebGPU adapter, print its name and optional features, and run one
 * kernel end to end. Exit code 0 when usable, 1 when no adapter is found (set-up uses this).
 */
import { init } from '../gpu/runtime';
import { add, tensor } from '../index';
import { parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';

const FLAGS: Record<string, FlagSpec> = {};
const USAGE = () => usage('node dist/gpu-check.js', FLAGS) +
  '\n\nFinds a WebGPU adapter, prints its name, optional features and main limits, and runs one kernel.\nExit code 0 when usable, 1 when no adapter is found (scripts/setup.sh uses this), 2 on bad options.';

async function main(): Promise<number> {
  const p = parseArgs(process.argv.slice(2), FLAGS);
  if (p.help) { console.log(USAGE()); return 0; }
  if (p.positional.length) throw new UsageError(`unexpected argument ${p.positional[0]}`);
  let rt;
  try {
    rt = await init();
  } catch (e) {
    console.error(`gpu-check: ${(e as Error).message}`);
    return 1;
  }
  try {
    console.log(`adapter: ${rt.describe()}`);
    const l = rt.device.limits;
    console.log(`limits: maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, maxBufferSize ${l.maxBufferSize}, maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}, maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}`);
    const y = add(tensor([1, 2, 3]), tensor([10, 20, 30]));
    const got = [...(await y.toArray())];
    if (got.join(',') !== '11,22,33') {
      console.error(`gpu-check: a test kernel returned ${got}, expected 11,22,33`);
      return 1;
    }
    console.log('gpu-check: ok (a test kernel ran and returned the right values)');
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
