/**
 * The unfused SBLU composition in jax-js (@jax-js/jax 0.1.25) on the same WebGPU adapter, jit-compiled
 * (jax-js fuses elementwise chains), forward and forward + backward (jax `grad`). The windows are
 * unfolded with K slices + stack and contracted by a batched matmul, as in src/aasp/sblu-unfused.ts.
 * Recipe from docs/platform.md: `navigator` = { gpu: create([]), userAgent: 'node' } before import.
 */
import type { SbluShape } from './sblu';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Arr = any;

export async function runJaxSblu(s: SbluShape, reps = 3, log: (l: string) => void = console.log, check?: (S: Float32Array, inputs: Float32Array[]) => void | Promise<void>): Promise<Record<string, number>> {
  const medians: Record<string, number> = {};
  const g = globalThis as any;
  if (!g.navigator?.gpu) {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), userAgent: 'node' }, configurable: true, writable: true });
  }
  const jax: any = await import('@jax-js/jax');
  const devs: string[] = await jax.init();
  if (!devs.includes('webgpu')) { log(`jax-js: no webgpu device (${devs.join(', ')}); skipped`); return medians; }
  jax.defaultDevice('webgpu');
  const np = jax.numpy;
  const { B, F, T, M, K } = s, c = Math.floor(K / 2);
  // jax-js reports an oversized binding as an uncaptured error and carries on, so check up front.
  const limit = jax.getWebGPUDevice().limits.maxStorageBufferBindingSize as number;
  if (B * F * K * T * 4 > limit) {
    log(`sblu jax-js B=${B}: skipped, its unfolded windows (${(B * F * K * T * 4 / 2 ** 20).toFixed(0)} MiB) exceed the adapter's storage binding limit (${(limit / 2 ** 20).toFixed(0)} MiB)`);
    return medians;
  }
  const dist = Float32Array.from({ length: K }, (_, k) => Math.abs(k - c));

  // jax-js ownership: every argument is consumed, `.ref` adds a reference for a second use.
  const sbluJ = (u: Arr, a: Arr, w: Arr, gain: Arr): Arr => {
    const d = np.array(dist);
    const env = np.exp(a.ref.reshape([B, F, M, 1]).mul(d.ref).neg());
    const ph = w.ref.reshape([B, F, M, 1]).mul(d);
    const hr = env.ref.mul(np.cos(ph.ref));
    const hi = env.mul(np.sin(ph)).neg();
    const upad = np.pad(u, [[0, 0], [0, 0], [c, K - 1 - c]]);
    const wins = np.stack(Array.from({ length: K }, (_, k) => upad.ref.slice([], [], [k, k + T])), 2); // [B,F,K,T]
    upad.dispose();
    // Batched matmul (jax-js's einsum needs Node ≥ 22 iterator helpers): [B,F,M,K]·[B,F,K,T].
    const zr = np.matmul(hr, wins.ref);
    const zi = np.matmul(hi, wins);
    const ha = a.ref.mul(0.5), hw = w.ref.mul(0.5);
    const ep = np.exp(ha.ref), em = np.exp(ha.neg());
    const shr = ep.ref.sub(em.ref).mul(0.5).mul(np.cos(hw.ref));
    const shi = ep.add(em).mul(0.5).mul(np.sin(hw));
    const den = a.ref.mul(a.ref).add(w.ref.mul(w.ref));
    const cr = shr.ref.mul(a.ref).add(shi.ref.mul(w.ref)).mul(2).div(den.ref);
    const ci = shi.mul(a).sub(shr.mul(w)).mul(2).div(den);
    const qr = cr.mul(gain.ref).reshape([B, F, M, 1]), qi = ci.mul(gain).reshape([B, F, M, 1]);
    const yr = qr.ref.mul(zr.ref).sub(qi.ref.mul(zi.ref));
    const yi = qr.mul(zi).add(qi.mul(zr));
    return np.log1p(np.sqrt(yr.ref.mul(yr).add(yi.ref.mul(yi)).add(1e-6)));
  };
  const fwd = jax.jit(sbluJ);
  const lossJ = (u: Arr, a: Arr, w: Arr, gain: Arr, r: Arr): Arr => np.sum(sbluJ(u, a, w, gain).mul(r));
  const bwd = jax.jit(jax.grad(lossJ, { argnums: [0, 1, 2, 3] }));

  const rnd = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * Math.random());
  const u = np.array(rnd(B * F * T, -2, 2)).reshape([B, F, T]);
  const a = np.array(rnd(B * F * M, 1 / K, 1)).reshape([B, F, M]);
  const w = np.array(rnd(B * F * M, Math.PI / 16, Math.PI)).reshape([B, F, M]);
  const gain = np.array(rnd(F * M, 0.5, 1.5)).reshape([F, M]);
  const r = np.array(new Float32Array(B * F * M * T).fill(1e-3)).reshape([B, F, M, T]);

  if (check) {
    const S = fwd(u.ref, a.ref, w.ref, gain.ref);
    await check(new Float32Array(await S.data()), await Promise.all([u, a, w, gain].map(async (x) => new Float32Array(await x.ref.data()))));
  }
  const time = async (name: string, step: () => Promise<void>) => {
    try {
      await step(); // compile + warm up
      const ts: number[] = [];
      for (let i = 0; i < reps; i++) { const t0 = performance.now(); await step(); ts.push(performance.now() - t0); }
      ts.sort((x, y) => x - y);
      medians[name] = ts[Math.floor(ts.length / 2)];
      log(`${name.padEnd(32)} median ${ts[Math.floor(ts.length / 2)].toFixed(1).padStart(9)} ms  min ${ts[0].toFixed(1).padStart(9)} ms`);
    } catch (e) {
      log(`${name.padEnd(32)} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  await time(`sblu jax-js fwd B=${B}`, async () => {
    const S = fwd(u.ref, a.ref, w.ref, gain.ref);
    await S.blockUntilReady();
    S.dispose();
  });
  await time(`sblu jax-js fwd+bwd B=${B}`, async () => {
    const gs = bwd(u.ref, a.ref, w.ref, gain.ref, r.ref);
    await jax.blockUntilReady(gs);
    for (const x of gs) x.dispose();
  });
  for (const x of [u, a, w, gain, r]) x.dispose();
  return medians;
}
