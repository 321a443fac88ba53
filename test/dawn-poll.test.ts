/**
 * Dawn's busy wait is paced: a chain of native no-argument setImmediate callbacks (the binding's
 * ProcessEvents loop) spins for DAWN_SPIN_MS and then waits for timers, every other callback runs
 * at once, and waiting for real GPU work leaves the main thread mostly idle.
 */
import { describe, expect, it } from 'vitest';
import { DAWN_SPIN_MS, dawnPollStats, installDawnPollPacing, setDawnPollPacing } from '../src/gpu/dawn-poll';
import { isCpuAdapterName } from '../src/gpu/device';
import { useGpu } from './helpers/gpu';
import { threadCpuMs } from '../kernels-bench/harness';
import { matmul, randn } from '../src/ops';
import { Rng } from '../src/util/rng';

/** Run a chain of `n` setImmediate callbacks made by `make`; resolves to the wall milliseconds. */
function chain(n: number, make: (f: () => void) => () => void): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let left = n;
    const step = make(() => { if (--left > 0) setImmediate(step); else resolve(performance.now() - t0); });
    setImmediate(step);
  });
}

/** CPU seconds of this process's main thread so far (Linux), or null elsewhere. */
function mainThreadCpu(): number | null {
  try { return threadCpuMs(process.pid) / 1000; } catch { return null; }
}

describe('Dawn poll pacing', () => {
  const gpu = useGpu();

  it('paces a chain of native no-argument callbacks after DAWN_SPIN_MS, and nothing else', async () => {
    const rt = gpu.rt();
    expect(installDawnPollPacing()).toBe(true);
    // acquireDevice paced a CPU adapter and left a GPU's loop spinning.
    expect(dawnPollStats()).toMatchObject({ installed: true, pacing: isCpuAdapterName(rt.adapterName) });
    setDawnPollPacing(true);
    // A bound function is native code with length 0, as the binding's callback is. Each callback
    // takes 0.25 ms, so the chain spins for its first ~8 polls and waits for timers after.
    const busy = (f: () => void) => () => { const t = performance.now(); while (performance.now() - t < 0.25); f(); };
    const before = dawnPollStats();
    const nativeMs = await chain(40, (f) => busy(f).bind(null));
    const after = dawnPollStats();
    expect(after.polls - before.polls).toBe(40);
    const delayed = after.delayed - before.delayed;
    expect(delayed).toBeGreaterThanOrEqual(40 - Math.ceil(DAWN_SPIN_MS / 0.25) - 1);
    expect(delayed).toBeLessThan(40);
    expect(nativeMs).toBeGreaterThan(delayed);
    // Plain JS callbacks (and promise resolvers, which take an argument) are not counted or delayed.
    const jsMs = await chain(2000, (f) => () => f());
    await chain(200, (f) => { const r = (_v?: unknown) => f(); return r; });
    expect(dawnPollStats().polls).toBe(after.polls);
    expect(jsMs).toBeLessThan(1000);
    setDawnPollPacing(false);
    const spun = dawnPollStats();
    await chain(40, (f) => busy(f).bind(null));
    expect(dawnPollStats()).toMatchObject({ polls: spun.polls, delayed: spun.delayed });
    setDawnPollPacing(isCpuAdapterName(rt.adapterName));
  });

  it('waiting for GPU work leaves the main thread mostly idle', async () => {
    const rt = gpu.rt();
    if (!dawnPollStats().pacing) return; // a GPU: Dawn's loop spins on a core the GPU does not need
    const rng = new Rng(3);
    const a = randn([768, 768], rng), b = randn([768, 768], rng);
    await rt.sync();
    const ys = [];
    const stats0 = dawnPollStats();
    for (let i = 0; i < 6; i++) ys.push(matmul(a, b));
    rt.flush();
    const cpu0 = mainThreadCpu();
    const t0 = performance.now();
    await rt.sync();
    const wallS = (performance.now() - t0) / 1000;
    const cpu1 = mainThreadCpu();
    for (const y of ys) y.dispose();
    a.dispose(); b.dispose();
    const stats1 = dawnPollStats();
    expect(stats1.polls).toBeGreaterThan(stats0.polls);
    if (wallS < 0.1) return; // too short a wait to see the pacing in CPU time
    expect(stats1.delayed).toBeGreaterThan(stats0.delayed);
    // Polling at once the whole time kept the main thread busy for ~100 % of the wait.
    if (cpu0 !== null && cpu1 !== null) expect((cpu1 - cpu0) / wallS).toBeLessThan(0.5);
  });
});
