/**
 * The peers, on the same adapter in the same process (recipes in docs/platform.md):
 * @tensorflow/tfjs-core + tfjs-backend-webgpu 4.22 and @jax-js/jax 0.1.25. `navigator` must be set
 * before either is imported (jax-js reads it at import), so main.ts calls installNavigator() first.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Tf = any;
export type Jax = any;

/** Give Node a `navigator.gpu` (Dawn) that our runtime, tfjs and jax-js all pick up. */
export async function installNavigator(): Promise<void> {
  const g = globalThis as any;
  if (g.navigator?.gpu) return;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]), userAgent: 'node' }, configurable: true, writable: true });
}

export async function loadTf(log: (s: string) => void): Promise<Tf | null> {
  try {
    const tf: Tf = await import('@tensorflow/tfjs-core');
    // Note: tfjs-core's Node entry registers no gradient functions (tfjs's union package bundles them),
    // so tf.grads fails for most ops: fwd+bwd cases report tfjs as null.
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) { log('tfjs: webgpu backend unavailable'); return null; }
    await tf.ready();
    return tf;
  } catch (e) {
    log(`tfjs: not available (${(e as Error).message})`);
    return null;
  }
}

export async function loadJax(log: (s: string) => void): Promise<Jax | null> {
  try {
    const jax: Jax = await import('@jax-js/jax');
    const devs: string[] = await jax.init();
    if (!devs.includes('webgpu')) { log(`jax-js: no webgpu device (${devs.join(', ')})`); return null; }
    jax.defaultDevice('webgpu');
    return jax;
  } catch (e) {
    log(`jax-js: not available (${(e as Error).message})`);
    return null;
  }
}

/** Read a tfjs tensor (or list) back as one Float32Array (this is also the queue sync). */
export async function tfRead(t: any): Promise<Float32Array> {
  const list = Array.isArray(t) ? t : [t];
  const parts = await Promise.all(list.map((x: any) => x.data()));
  return concatF32(parts as Float32Array[]);
}

/** Read jax-js arrays (consumed) back as one Float32Array. */
export async function jaxRead(a: any): Promise<Float32Array> {
  const list = Array.isArray(a) ? a : [a];
  const parts: Float32Array[] = [];
  for (const x of list) parts.push(new Float32Array(await x.data()));
  return concatF32(parts);
}

export function concatF32(parts: ArrayLike<number>[]): Float32Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Float32Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
