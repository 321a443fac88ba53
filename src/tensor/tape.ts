/**
 * The autograd tape: ops call `record()` with their inputs, the tensors their backward needs, and
 * their backward rule; `noGrad()` turns recording off. Walking the tape is autograd.ts's job. This
 * module needs no ops, so every op can import it without an import cycle.
 */
import { untrackedRef, type BackwardFn, type Tensor } from './tensor';

export type { BackwardFn, Node } from './tensor';

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

/** Release the saved tensors of the node that produced `t`, and mark its graph as freed. */
export function freeNode(t: Tensor): void {
  const n = t.node;
  if (!n) return;
  for (const s of n.saved) s.dispose();
  n.saved = [];
  t.node = null;
  t.graphFreed = true;
}

/** Every tensor with a node that `root` depends on, inputs before outputs. */
export function topoOrder(root: Tensor): Tensor[] {
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
  return order;
}

/** Drop the graph behind `t` without computing gradients. */
export function freeGraph(t: Tensor): void {
  for (const x of topoOrder(t)) freeNode(x);
}
