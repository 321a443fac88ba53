/**
 * Modules own named parameters (PyTorch-style dotted names, so checkpoints map 1:1 to a PyTorch
 * state_dict) and child modules. Weight decay is decided by module type: Linear and Conv weights.
 */
import { Tensor, keep } from '../tensor/tensor';

export abstract class Module {
  private _params = new Map<string, Tensor>();
  private _children = new Map<string, Module>();
  /** Parameter names (local) that get weight decay. */
  protected decayed = new Set<string>();
  training = true;

  protected param(name: string, t: Tensor, decay = false): Tensor {
    keep(t);
    t.requireGrad();
    this._params.set(name, t);
    if (decay) this.decayed.add(name);
    return t;
  }

  /** This module's own parameter by local name (current tensor, also after loading). */
  p(name: string): Tensor {
    const t = this._params.get(name);
    if (!t) throw new Error(`${this.constructor.name}: no parameter "${name}"`);
    return t;
  }

  hasParam(name: string): boolean { return this._params.has(name); }

  /** A fixed (non-trainable) tensor owned by the module, e.g. a position table. */
  protected buffer(name: string, t: Tensor): Tensor {
    keep(t);
    this._buffers.set(name, t);
    return t;
  }
  private _buffers = new Map<string, Tensor>();

  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    return m;
  }

  /** Replace a parameter's tensor (loading), disposing the old one. */
  setParam(name: string, t: Tensor): void {
    const dot = name.indexOf('.');
    if (dot >= 0) {
      const c = this._children.get(name.slice(0, dot));
      if (!c) throw new Error(`no submodule "${name.slice(0, dot)}" for parameter ${name}`);
      c.setParam(name.slice(dot + 1), t);
      return;
    }
    const old = this._params.get(name);
    if (!old) throw new Error(`no parameter "${name}"`);
    if (old.shape.length !== t.shape.length || old.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(`parameter ${name}: shape [${t.shape}] does not match [${old.shape}]`);
    }
    keep(t);
    t.requireGrad();
    old.dispose();
    this._params.set(name, t);
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this._params) out.push([prefix + n, t]);
    for (const [n, c] of this._children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] { return this.namedParameters().map(([, t]) => t); }

  /** Names of the parameters that weight decay applies to. */
  decayNames(prefix = ''): Set<string> {
    const s = new Set<string>();
    for (const n of this.decayed) s.add(prefix + n);
    for (const [n, c] of this._children) for (const x of c.decayNames(`${prefix}${n}.`)) s.add(x);
    return s;
  }

  train(on = true): this {
    this.training = on;
    for (const c of this._children.values()) c.train(on);
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) { p.grad?.dispose(); p.grad = null; }
  }

  /** Free every parameter and buffer. */
  dispose(): void {
    for (const t of this._params.values()) t.dispose();
    for (const t of this._buffers.values()) t.dispose();
    for (const c of this._children.values()) c.dispose();
  }
}

/** An ordered list of modules named 0, 1, 2, ... (PyTorch's ModuleList). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.child(String(i), m));
  }
}
