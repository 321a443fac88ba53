/**
 * Dynamic tape. Each differentiable op calls `record()` with its inputs, the tensors its backward
 * needs, and its backward rule. `backward()` walks the graph once in reverse topological order and
 * frees it (saved references released), like PyTorch without retain_graph.
 */
import { Tensor, scope, keep, untrackedRef } from './tensor';

export type BackwardFn = (grad: Tensor, saved: Tensor[]) => (Tensor | null)[];

export interface Node {
  name: string;
  inputs: Tensor[];
  saved: Tensor[];
  backward: BackwardFn;
}

let gradEnabled = true;

export function isGradEnabled(): boolean { return gradEnabled; }

/** Run `fn` without recording operations. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => { gradEnabled = prev; }) as T;
    }
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

/** Attach a backward rule to `out` when any input requires grad. Returns `out`. */
export function record(name: string, out: Tensor, inputs: Tensor[], saved: Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return out;
  out.requiresGrad = true;
  out.node = { name, inputs, saved: saved.map(untrackedRef), backward };
  return out;
}

function freeNode(t: Tensor): void {
  const n = t.node;
  if (!n) return;
  for (const s of n.saved) s.dispose();
  n.saved = [];
  t.node = null;
}

/** Drop the graph behind `t` without computing gradients. */
export function freeGraph(t: Tensor): void {
  for (const x of topoOrder(t)) freeNode(x);
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const inputs = top[0].node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.node && !seen.has(next)) { seen.add(next); stack.push([next, 0]); }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order; // inputs before outputs
}

function accumulate(into: Tensor | null, g: Tensor, add: (a: Tensor, b: Tensor) => Tensor): Tensor {
  if (!into) return g;
  const s = add(into, g);
  into.dispose();
  g.dispose();
  return s;
}

let addFn: ((a: Tensor, b: Tensor) => Tensor) | null = null;
let onesLikeFn: ((t: Tensor) => Tensor) | null = null;

/** Wire the ops backward needs (set by the ops module to avoid an import cycle). */
export function setAutogradOps(add: (a: Tensor, b: Tensor) => Tensor, onesLike: (t: Tensor) => Tensor): void {
  addFn = add;
  onesLikeFn = onesLike;
}

/**
 * Compute gradients of `root` (a scalar unless `grad` is given) and accumulate them into the
 * `.grad` of every leaf that requires grad. Frees the graph.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!addFn || !onesLikeFn) throw new Error('autograd ops not registered');
  if (!root.requiresGrad) throw new Error('backward(): tensor does not require grad (no parameter or input with requiresGrad reached it)');
  if (!grad && root.size !== 1) throw new Error(`backward(): gradient must be given for non-scalar shape [${root.shape}]`);
  const add = addFn;
  const order = topoOrder(root);
  const leafGrads = new Map<Tensor, Tensor>();
  scope(() => noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, grad ? untrackedRef(grad) : onesLikeFn!(root));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      grads.delete(t);
      const node = t.node!;
      if (!g || !node) { freeNode(t); continue; }
      const ins = node.backward(g, node.saved);
      g.dispose();
      node.inputs.forEach((inp, k) => {
        const gi = ins[k];
        if (!gi || !inp.requiresGrad) { gi?.dispose(); return; }
        if (gi.shape.length !== inp.shape.length || gi.shape.some((d, j) => d !== inp.shape[j])) {
          throw new Error(`backward of ${node.name}: gradient shape [${gi.shape}] does not match input shape [${inp.shape}]`);
        }
        if (inp.node) grads.set(inp, accumulate(grads.get(inp) ?? null, gi, add));
        else leafGrads.set(inp, accumulate(leafGrads.get(inp) ?? null, gi, add));
      });
      freeNode(t);
    }
    for (const g of leafGrads.values()) keep(g);
  }));
  for (const [leaf, g] of leafGrads) {
    if (leaf.grad) {
      const s = keep(noGrad(() => add(leaf.grad!, g)));
      leaf.grad.dispose();
      g.dispose();
      leaf.grad = s;
    } else {
      leaf.grad = g;
    }
  }
}
