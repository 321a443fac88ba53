// The fused ops a transformer block is built from, against the same maths composed of basic ops:
// linear with its residual in the matmul epilogue, mlp as one op, and patchRows (a stride-P patch
// convolution's rows, for picked tokens only). Prints the largest difference of each pair.
// Run after `npm run build`:  node examples/fused-ops.mjs
import { init, tensor, scope, randn, Rng, linear, mlp, gelu, add, matmul, transpose, patchRows, reshape, permute, indexSelect } from '../dist/index.js';

const rt = await init();
const rng = new Rng(1);
const maxDiff = async (a, b) => { const [x, y] = [await a.toFloat32(), await b.toFloat32()]; return Math.max(...x.map((v, i) => Math.abs(v - y[i]))); };

const [x, skip] = [randn([6, 32], rng), randn([6, 32], rng)];
const [w1, b1, w2, b2] = [randn([128, 32], rng), randn([128], rng), randn([32, 128], rng), randn([32], rng)];
// x + fc2(GELU(fc1(x))): one op, against three linears-and-adds.
const fused = mlp(x, w1, b1, w2, b2, { residual: skip });
const composed = scope(() => add(skip, add(matmul(gelu(add(matmul(x, transpose(w1, 0, 1)), b1)), transpose(w2, 0, 1)), b2)));
console.log(`mlp with residual: max |fused - composed| = ${(await maxDiff(fused, composed)).toExponential(1)}`);
const lin = linear(x, w1, b1, { gelu: true });
const linComposed = scope(() => gelu(add(matmul(x, transpose(w1, 0, 1)), b1)));
console.log(`linear with GELU:  max |fused - composed| = ${(await maxDiff(lin, linComposed)).toExponential(1)}`);

// Patch rows of a [B, F, T] log-mel (16×16 patches) for tokens 5, 0 and 2 of each of 2 clips.
const mel = randn([2, 32, 48], rng);
const picks = { data: Int32Array.from([5, 0, 2, 1, 3, 4]), shape: [2, 3] };
const rows = patchRows(mel, 16, picks);                                     // [2·3, 256]
const allRows = scope(() => reshape(permute(reshape(mel, [2, 2, 16, 3, 16]), [0, 1, 3, 2, 4]), [2, 6, 256]));
const picked = scope(() => reshape(indexSelect(allRows, 1, picks), [6, 256]));
console.log(`patchRows:         max |fused - composed| = ${(await maxDiff(rows, picked)).toExponential(1)}`);
rt.destroy();
