// Fit a tiny MLP to y = sin(3x) with the engine's kernels and autograd; prints the falling loss.
// Run after `npm run build`:  node examples/fit-mlp.mjs
import { init, tensor, scope, backward, Linear, AdamW, Rng, sin, mul, sub, mean, square, gelu } from '../dist/index.js';

const rt = await init();
console.log(`adapter: ${rt.describe()}`);
const rng = new Rng(0);
// Wide first-layer weights spread the GELU kinks over [-1, 1] (xavier for fan-in 1 keeps them near 0).
const l1 = new Linear(1, 64, rng, { init: 'normal', std: 2 });
const l2 = new Linear(64, 1, rng, { init: 'xavier_uniform' });
const named = [...l1.namedParameters('l1.'), ...l2.namedParameters('l2.')];
const params = named.map(([, p]) => p);
const opt = new AdamW([{ params: named, weightDecay: 0 }], { lr: 0.01 });

const xs = Float32Array.from({ length: 256 }, (_, i) => -1 + (2 * i) / 255);
const x = tensor(xs, [256, 1]);
const target = scope(() => sin(mul(x, 3)));

for (let step = 0; step <= 300; step++) {
  const loss = scope(() => mean(square(sub(l2.forward(gelu(l1.forward(x))), target))));
  backward(loss);
  opt.step();
  for (const p of params) { p.grad.dispose(); p.grad = null; }
  if (step % 50 === 0) console.log(`step ${step}  loss ${(await loss.item()).toFixed(5)}`);
  loss.dispose();
}
rt.destroy();
