/**
 * Tensors: a shape over a reference-counted GPU storage. Ownership is explicit:
 * - `t.dispose()` drops this tensor's reference; the buffer returns to the pool when none are left.
 * - `scope(fn)` disposes every tensor created inside `fn` except those it returns or `keep()`s.
 * - Autograd saves what backward needs as extra references, so disposing a forward tensor early is safe.
 */
import { runtime, type Runtime } from '../gpu/runtime';
import { formatBytes } from '../gpu/pool';

export type DType = 'f32' | 'i32';

/** Gradients of an op's inputs from the gradient of its output (null where an input gets none). */
export type BackwardFn = (grad: Tensor, saved: Tensor[]) => (Tensor | null)[];

/** One recorded operation on the autograd tape (see tape.ts): what produced a tensor. */
export interface Node {
  name: string;
  inputs: Tensor[];
  saved: Tensor[];
  backward: BackwardFn;
}

export class Storage {
  refs = 1;
  constructor(readonly rt: Runtime, readonly buffer: GPUBuffer, readonly bytes: number) {}
  retain(): this { this.refs++; return this; }
  release(): void {
    if (--this.refs === 0) this.rt.pool.release(this.buffer);
  }
}

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  /** Gradient accumulated by `backward()` (leaf tensors that require grad). */
  grad: Tensor | null = null;
  /** The recorded operation that produced this tensor (null for leaves). */
  node: Node | null = null;
  /** Set for parameters and inputs that gradients should flow to. */
  requiresGrad = false;
  /** True once backward() or freeGraph() released the node that produced this tensor. */
  graphFreed = false;
  private _storage: Storage | null;

  constructor(readonly shape: readonly number[], storage: Storage, readonly dtype: DType = 'f32', track = true) {
    this._storage = storage;
    if (track) trackInScope(this);
  }

  get size(): number { return numel(this.shape); }
  get rank(): number { return this.shape.length; }
  get disposed(): boolean { return this._storage === null; }

  get storage(): Storage {
    if (!this._storage) throw new Error(`Tensor #${this.id} [${this.shape}] was used after dispose()`);
    return this._storage;
  }

  get buffer(): GPUBuffer { return this.storage.buffer; }

  /** Drop this tensor's reference to its storage. Idempotent. */
  dispose(): void {
    if (!this._storage) return;
    this._storage.release();
    this._storage = null;
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /** Copy the data back to the CPU. */
  async toArray(): Promise<Float32Array | Int32Array> {
    const bytes = this.size * 4;
    if (bytes === 0) return this.dtype === 'f32' ? new Float32Array(0) : new Int32Array(0);
    const ab = await this.storage.rt.read(this.buffer, bytes);
    return this.dtype === 'f32' ? new Float32Array(ab) : new Int32Array(ab);
  }

  async toFloat32(): Promise<Float32Array> {
    const a = await this.toArray();
    return a instanceof Float32Array ? a : Float32Array.from(a);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item(): tensor has shape [${this.shape}], not one element`);
    return (await this.toArray())[0];
  }

  /** A tensor with the same storage and no autograd history. */
  detach(): Tensor { return new Tensor(this.shape, this.storage.retain(), this.dtype); }

  /** Mark as a leaf that accumulates gradient. */
  requireGrad(on = true): this { this.requiresGrad = on; return this; }

  toString(): string { return `Tensor(#${this.id}, [${this.shape}], ${this.dtype})`; }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Allocate an uninitialised tensor from the current runtime's pool. A tensor larger than a kernel
 * can bind is refused here, naming `op` and the shape, rather than failing at a later read.
 */
export function empty(shape: readonly number[], dtype: DType = 'f32', rt: Runtime = runtime(), op = 'empty'): Tensor {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape [${shape}]`);
  }
  const bytes = Math.max(numel(shape) * 4, 4);
  if (bytes > rt.maxBindingBytes) {
    throw new Error(`${op}: shape [${shape}] ${dtype} needs ${formatBytes(bytes)}, over this adapter's limit of ${formatBytes(rt.maxBindingBytes)} per tensor (${rt.maxBindingLimitName})`);
  }
  return new Tensor([...shape], new Storage(rt, rt.pool.acquire(bytes), bytes), dtype);
}

/** Upload data into a new tensor. */
export function tensor(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
  const dt: DType = dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  const shp = shape ?? [data.length];
  if (numel(shp) !== data.length) throw new Error(`tensor: ${data.length} values do not fill shape [${shp}]`);
  const t = empty(shp, dt, runtime(), 'tensor');
  if (data.length > 0) {
    const arr = dt === 'f32' ? (data instanceof Float32Array ? data : Float32Array.from(data)) : (data instanceof Int32Array ? data : Int32Array.from(data));
    t.storage.rt.write(t.buffer, arr);
  }
  return t;
}

/**
 * Wrap an existing GPUBuffer (e.g. a host app's) as a tensor without copying. The buffer must have
 * STORAGE usage (and COPY_SRC to read it back). We never destroy or pool a wrapped buffer.
 */
export function fromBuffer(buffer: GPUBuffer, shape: readonly number[], dtype: DType = 'f32', rt: Runtime = runtime()): Tensor {
  const bytes = numel(shape) * 4;
  if (buffer.size < bytes) throw new Error(`fromBuffer: buffer of ${buffer.size} bytes is too small for [${shape}] (${bytes} bytes)`);
  // Kernels bind the whole buffer, so the buffer (not only the tensor) must fit the binding limit.
  if (buffer.size > rt.maxBindingBytes) {
    throw new Error(`fromBuffer: buffer of ${formatBytes(buffer.size)} for [${shape}] is over this adapter's limit of ${formatBytes(rt.maxBindingBytes)} per binding (${rt.maxBindingLimitName})`);
  }
  const st = new Storage(rt, buffer, bytes);
  st.release = function (this: Storage) { this.refs--; };
  return new Tensor([...shape], st, dtype);
}

// ---- scopes -------------------------------------------------------------------------------------

const scopes: Set<Tensor>[] = [];

function trackInScope(t: Tensor): void {
  if (scopes.length) scopes[scopes.length - 1].add(t);
}

function collect(result: unknown, out: Set<Tensor>): void {
  if (result instanceof Tensor) out.add(result);
  else if (Array.isArray(result)) for (const r of result) collect(r, out);
  else if (result && typeof result === 'object' && Object.getPrototypeOf(result) === Object.prototype) {
    for (const v of Object.values(result)) collect(v, out);
  }
}

function openScope(): Set<Tensor> {
  const own = new Set<Tensor>();
  scopes.push(own);
  return own;
}

/** Take `own` off the stack (by identity, so a scope left open inside cannot make us pop the wrong one) and dispose its tensors except `result`'s. */
function closeScope(own: Set<Tensor>, result: unknown): void {
  const i = scopes.lastIndexOf(own);
  if (i >= 0) scopes.splice(i, 1);
  const keepSet = new Set<Tensor>();
  collect(result, keepSet);
  for (const t of own) if (!keepSet.has(t)) t.dispose();
  if (scopes.length) for (const t of keepSet) if (own.has(t)) scopes[scopes.length - 1].add(t);
}

/** Run `fn`; dispose the tensors it created except those in its result (tensor, array or plain object). */
export function scope<T>(fn: () => T): T {
  const own = openScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(own, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    // The scope cannot wait for it: close it now (disposing what fn made before its first await) so
    // the scope stack stays intact, and report the misuse once instead of an unhandled rejection too.
    result.catch(() => {});
    closeScope(own, undefined);
    throw new Error('scope(): fn returned a Promise; use scopeAsync() for async functions');
  }
  closeScope(own, result);
  return result;
}

/**
 * Async variant of `scope`; disposes what `fn` created also when it rejects. Only one async scope
 * should run at a time (tensors created by concurrently running code would be attributed to it).
 */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  const own = openScope();
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    closeScope(own, undefined);
    throw e;
  }
  if (scopes[scopes.length - 1] !== own) {
    closeScope(own, undefined);
    throw new Error('scopeAsync(): scopes were not nested properly (a scope opened inside is still open, or async scopes ran concurrently)');
  }
  closeScope(own, result);
  return result;
}

/** Number of open scopes (0 outside any); for tests and leak hunts. */
export function scopeDepth(): number { return scopes.length; }

/** Remove tensors from every open scope so they outlive it; the caller disposes them. */
export function keep<T extends Tensor | Tensor[]>(t: T): T {
  const list = Array.isArray(t) ? t : [t];
  for (const s of scopes) for (const x of list) s.delete(x);
  return t;
}

/** A reference to the same storage that no scope tracks (used to save tensors for backward). */
export function untrackedRef(t: Tensor): Tensor {
  return new Tensor(t.shape, t.storage.retain(), t.dtype, false);
}
