// 100 iterations of forward, backward and an SGD update on a small MLP keep live buffers and bytes
// flat, and after the first iteration the pool serves every allocation without creating a buffer.
import { expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { scope, tensor } from '../src/tensor/tensor';
import { backward } from '../src/tensor/autograd';
import { gelu, mean, square, sub, softmax, randn } from '../src/ops';
import { Linear, LayerNorm } from '../src/nn';
import { SGD } from '../src/optim';
import { Rng } from '../src/util/rng';

const { rt } = useGpu();

it('live buffers and bytes stay flat over 100 training iterations', async () => {
  const rng = new Rng(3);
  const l1 = new Linear(33, 64, rng), ln = new LayerNorm(64), l2 = new Linear(64, 7, rng);
  const params = [...l1.parameters(), ...ln.parameters(), ...l2.parameters()];
  const opt = new SGD(params, 0.05);
  const x = randn([57, 33], rng), y = softmax(randn([57, 7], rng));
  const seen: { buffers: number; bytes: number }[] = [];
  const created: number[] = [];
  const losses: number[] = [];
  for (let it = 0; it < 100; it++) {
    const loss = scope(() => mean(square(sub(softmax(l2.forward(gelu(ln.forward(l1.forward(x))))), y))));
    backward(loss);
    opt.step();
    for (const p of params) { p.grad?.dispose(); p.grad = null; }
    if (it % 10 === 0) losses.push(await loss.item());
    loss.dispose();
    const s = rt().stats();
    seen.push({ buffers: s.liveBuffers, bytes: s.liveBytes });
    created.push(s.created);
  }
  await rt().sync();
  for (const s of seen.slice(1)) expect(s).toEqual(seen[0]);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  // The pool reuses buffers: after the first iteration nothing new is created on the device, and a
  // tensor of a size the loop used ([57, 64]) comes from the pool too.
  expect(created[0]).toBeGreaterThan(0);
  for (const c of created.slice(1)) expect(c).toBe(created[0]);
  const before = rt().stats().created;
  scope(() => tensor(new Float32Array(57 * 64), [57, 64])).dispose();
  expect(rt().stats().created).toBe(before);
});
