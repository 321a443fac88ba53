/**
 * `node dist/gpu-check.js`: find a WebGPU adapter, print its name and optional features, and run one
 * kernel end to end. Exit code 0 when usable, 1 when no adapter is found (set-up uses this).
 */
import { init } from '../gpu/runtime';
import { add, tensor } from '../index';

async function main(): Promise<number> {
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

main().then((code) => process.exit(code));
