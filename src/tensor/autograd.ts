/**
 * Reverse-mode differentiation over the tape (tape.ts). `backward()` walks the graph once in reverse
 * topological order and frees it (saved references released), like PyTorch without retain_graph; a
 * second backward through a freed graph is an error, as in PyTorch.
 */
import { Tensor, scope, keep, untrackedRef } from './tensor';
import { freeNode, noGrad, topoOrder } from './tape';
import { add } from '../ops/binary';
import { onesLike } from '../ops/create';

export { noGrad, isGradEnabled, freeGraph } from './tape';

function accumulate(into: Tensor | null, g: Tensor): Tensor {
  if (!into) return g;
  const s = add(into, g);
  into.dispose();
  g.dispose();
  return s;
}

function freedGraphError(t: Tensor): Error {
  return new Error(`backward(): the graph behind ${t} was already freed by an earlier backward() or freeGraph(); run the forward again to backward a second time`);
}

/** Throw before computing anything when part of the graph behind `order` was already freed. */
function checkGraphIntact(root: Tensor, order: Tensor[]): void {
  if (root.graphFreed) throw freedGraphError(root);
  for (const t of order) for (const inp of t.node?.inputs ?? []) if (inp.graphFreed) throw freedGraphError(inp);
}

/**
 * Compute gradients of `root` (a scalar unless `grad` is given) and accumulate them into the
 * `.grad` of every leaf that requires grad. Frees the graph.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error('backward(): tensor does not require grad (no parameter or input with requiresGrad reached it)');
  if (!grad && root.size !== 1) throw new Error(`backward(): gradient must be given for non-scalar shape [${root.shape}]`);
  const order = topoOrder(root);
  checkGraphIntact(root, order);
  const leafGrads = new Map<Tensor, Tensor>();
  scope(() => noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    const seed = grad ? untrackedRef(grad) : onesLike(root);
    if (!root.node) { leafGrads.set(root, seed); keep(seed); return; } // backward of a leaf: its gradient is the seed
    grads.set(root, seed);
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
        if (inp.node) grads.set(inp, accumulate(grads.get(inp) ?? null, gi));
        else leafGrads.set(inp, accumulate(leafGrads.get(inp) ?? null, gi));
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
