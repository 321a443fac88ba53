/**
 * A kernel is one WGSL entry point. Its bind-group layout and uniform layout are derived from the
 * WGSL source with wgsl_reflect, so they are written once, in the shader.
 */
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

export type UniformValue = number | number[] | ArrayLike<number>;
export type Overrides = Record<string, number>;

interface UniformField { name: string; offset: number; kind: 'f32' | 'u32' | 'i32'; count: number; stride: number; lanes: number }

export interface BindingInfo { name: string; binding: number; kind: 'storage' | 'read-only-storage' | 'uniform' }

export interface KernelLayout {
  bindings: BindingInfo[];
  uniformName: string | null;
  uniformSize: number;
  uniformFields: Map<string, UniformField>;
  overrides: string[];
}

export class Kernel {
  private _layout: KernelLayout | null = null;
  constructor(
    /** Name used in labels and error messages: `file:entry`. */
    readonly name: string,
    readonly source: string,
    readonly entry: string = 'main',
  ) {}

  get layout(): KernelLayout {
    if (!this._layout) this._layout = reflect(this.source, this.entry, this.name);
    return this._layout;
  }

  /** Pack uniform values into `view` at `base`, checking every field is given. */
  packUniforms(values: Record<string, UniformValue>, view: DataView, base: number): void {
    const { uniformFields } = this.layout;
    for (const [key, field] of uniformFields) {
      const v = values[key];
      if (v === undefined) throw new Error(`kernel ${this.name}: uniform field "${key}" not given`);
      const arr: ArrayLike<number> = typeof v === 'number' ? [v] : v;
      const total = field.count * field.lanes;
      if (arr.length > total) throw new Error(`kernel ${this.name}: uniform "${key}" takes ${total} values, got ${arr.length}`);
      for (let i = 0; i < arr.length; i++) {
        const off = base + field.offset + Math.floor(i / field.lanes) * field.stride + (i % field.lanes) * 4;
        if (field.kind === 'f32') view.setFloat32(off, arr[i], true);
        else if (field.kind === 'u32') view.setUint32(off, arr[i] >>> 0, true);
        else view.setInt32(off, arr[i] | 0, true);
      }
    }
    for (const key of Object.keys(values)) {
      if (!uniformFields.has(key)) throw new Error(`kernel ${this.name}: no uniform field "${key}"`);
    }
  }
}

function scalarKind(name: string | undefined, kernel: string, field: string): 'f32' | 'u32' | 'i32' {
  if (name === 'f32' || name === 'u32' || name === 'i32') return name;
  throw new Error(`kernel ${kernel}: uniform field "${field}" has unsupported type ${name}`);
}

interface TypeLike { name: string; size: number; stride?: number; count?: number; format?: TypeLike | null }

function describeField(name: string, offset: number, t: TypeLike, kernel: string): UniformField {
  if (t.name === 'array') {
    const el = t.format as TypeLike;
    if (el.name.startsWith('vec')) {
      return { name, offset, kind: scalarKind(el.format?.name, kernel, name), count: t.count ?? 0, stride: t.stride ?? 16, lanes: Number(el.name.slice(3, 4)) };
    }
    return { name, offset, kind: scalarKind(el.name, kernel, name), count: t.count ?? 0, stride: t.stride ?? 16, lanes: 1 };
  }
  if (t.name.startsWith('vec')) {
    return { name, offset, kind: scalarKind(t.format?.name, kernel, name), count: 1, stride: 16, lanes: Number(t.name.slice(3, 4)) };
  }
  return { name, offset, kind: scalarKind(t.name, kernel, name), count: 1, stride: 4, lanes: 1 };
}

function reflect(source: string, entry: string, kernel: string): KernelLayout {
  let r: WgslReflect;
  try {
    r = new WgslReflect(source);
  } catch (e) {
    throw new Error(`kernel ${kernel}: WGSL could not be parsed: ${(e as Error).message}`);
  }
  const fn = r.entry.compute.find((f) => f.name === entry);
  if (!fn) throw new Error(`kernel ${kernel}: no @compute entry point "${entry}"`);
  const bindings: BindingInfo[] = [];
  let uniformName: string | null = null;
  let uniformSize = 0;
  const uniformFields = new Map<string, UniformField>();
  for (const res of fn.resources) {
    if (res.group !== 0) throw new Error(`kernel ${kernel}: only @group(0) is supported (${res.name})`);
    if (res.resourceType === 0) {
      if (uniformName) throw new Error(`kernel ${kernel}: at most one uniform struct`);
      uniformName = res.name;
      const t = res.type as unknown as { size: number; members?: { name: string; offset: number; type: TypeLike }[] };
      uniformSize = t.size;
      for (const m of t.members ?? []) uniformFields.set(m.name, describeField(m.name, m.offset, m.type, kernel));
      bindings.push({ name: res.name, binding: res.binding, kind: 'uniform' });
    } else if (res.resourceType === 1) {
      bindings.push({ name: res.name, binding: res.binding, kind: res.access === 'read' ? 'read-only-storage' : 'storage' });
    } else {
      throw new Error(`kernel ${kernel}: resource ${res.name} of unsupported kind`);
    }
  }
  bindings.sort((a, b) => a.binding - b.binding);
  return { bindings, uniformName, uniformSize, uniformFields, overrides: r.overrides.map((o) => o.name) };
}

/** Kernels from one WGSL file, one per entry point, created on first use. */
export function kernelFamily(file: string, source: string): (entry?: string) => Kernel {
  const cache = new Map<string, Kernel>();
  return (entry = 'main') => {
    let k = cache.get(entry);
    if (!k) { k = new Kernel(`${file}:${entry}`, source, entry); cache.set(entry, k); }
    return k;
  };
}
