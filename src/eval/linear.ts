/**
 * The EVAR linear-evaluation protocol on our GPU engine (spec 6): features standardised with the
 * training set's mean and std, one Linear layer, Adam (AdamW with weight decay 0) at lr 3e-5,
 * batches of up to 200, at most 200 epochs, loss = cross-entropy / number of classes, early stopping
 * after 20 epochs without a validation-accuracy gain, best weights restored before testing.
 *
 * Features stay on the CPU and each batch is gathered and uploaded on its own: a benchmark's whole
 * feature matrix (Speech Commands: 85k × 3840 floats) would exceed a storage binding on many
 * adapters, and a 200-row upload costs little next to the step. Platform-neutral.
 */
import { tensor, scope, keep, type Tensor } from '../tensor/tensor';
import { backward, noGrad } from '../tensor/autograd';
import { add, concat, crossEntropy, mul, reshape, sum } from '../ops';
import { Linear } from '../nn';
import { AdamW } from '../optim';
import { Rng } from '../util/rng';
import { argmaxRows, accuracy } from './metrics';

/** Row-major features [n, dim] with integer class labels. */
export interface FeatureSet { x: Float32Array; n: number; dim: number; y: Int32Array }

export interface LinearOptions {
  /** Adam learning rate (default 3e-5, EVAR's). */
  lr?: number;
  /** Batch size cap (default 200). */
  batchSize?: number;
  /** Epoch cap (default 200). */
  maxEpochs?: number;
  /** Epochs without validation-accuracy improvement before stopping (default 20). */
  patience?: number;
  /** Seeds the weight init and the batch order. */
  seed?: number;
  /** Called after every epoch. */
  onEpoch?: (e: EpochLog) => void;
}

export interface EpochLog { epoch: number; loss: number; validAcc: number }

export interface LinearResult {
  testAcc: number;
  /** Validation accuracy of the restored (best) weights. */
  bestValidAcc: number;
  /** 0-based epoch whose weights were kept. */
  bestEpoch: number;
  /** Epochs actually run. */
  epochs: number;
  history: EpochLog[];
  testPred: Int32Array;
  /** The restored weights, [C, dim] and [C], in the standardised feature space. */
  weight: Float32Array;
  bias: Float32Array;
  /** Train-set statistics used to standardise. */
  featMean: Float32Array;
  featStd: Float32Array;
}

/** Per-dimension mean and std (population) of the training features; std 0 becomes 1. */
export function standardizer(train: FeatureSet): { mean: Float32Array; std: Float32Array } {
  const { x, n, dim } = train;
  const m = new Float64Array(dim), v = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) m[d] += x[i * dim + d];
  for (let d = 0; d < dim; d++) m[d] /= n;
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) { const e = x[i * dim + d] - m[d]; v[d] += e * e; }
  const std = new Float32Array(dim);
  for (let d = 0; d < dim; d++) { const s = Math.sqrt(v[d] / n); std[d] = s > 1e-12 ? s : 1; }
  return { mean: Float32Array.from(m), std };
}

function standardize(set: FeatureSet, mean: Float32Array, std: Float32Array): FeatureSet {
  const { x, n, dim } = set;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = (x[i * dim + d] - mean[d]) / std[d];
  return { x: out, n, dim, y: set.y };
}

function gatherRows(set: FeatureSet, idx: ArrayLike<number>): { x: Float32Array; y: Int32Array } {
  const { dim } = set;
  const x = new Float32Array(idx.length * dim), y = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    x.set(set.x.subarray(idx[k] * dim, (idx[k] + 1) * dim), k * dim);
    y[k] = set.y[idx[k]];
  }
  return { x, y };
}

/** PyTorch's nn.Linear default init: U(±1/√fan_in) for weight and bias. */
function torchDefaultLinear(inF: number, outF: number, rng: Rng): Linear {
  const lin = new Linear(inF, outF, rng, { init: 'zeros' });
  const bound = 1 / Math.sqrt(inF);
  const u = (n: number) => Float32Array.from({ length: n }, () => (2 * rng.uniform() - 1) * bound);
  lin.setParam('weight', tensor(u(outF * inF), [outF, inF]));
  lin.setParam('bias', tensor(u(outF), [outF]));
  return lin;
}

/** Class predictions of `lin` on a whole set, evaluated in chunks. */
export async function predict(lin: Linear, set: FeatureSet, chunk = 1024): Promise<Int32Array> {
  const pred = new Int32Array(set.n);
  for (let s = 0; s < set.n; s += chunk) {
    const e = Math.min(set.n, s + chunk);
    const logits = noGrad(() => scope(() => keep(lin.forward(tensor(set.x.subarray(s * set.dim, e * set.dim), [e - s, set.dim])))));
    const vals = await logits.toFloat32();
    logits.dispose();
    pred.set(argmaxRows(vals, e - s, lin.outFeatures), s);
  }
  return pred;
}

function checkSet(name: string, s: FeatureSet, dim: number, nClasses: number): void {
  if (s.x.length !== s.n * s.dim || s.y.length !== s.n) throw new Error(`linear eval: ${name} set has inconsistent sizes`);
  if (s.dim !== dim) throw new Error(`linear eval: ${name} features have ${s.dim} dims, train has ${dim}`);
  for (const c of s.y) if (c < 0 || c >= nClasses) throw new Error(`linear eval: ${name} label ${c} outside [0, ${nClasses})`);
}

/** Train one linear classifier with early stopping and report its test accuracy. */
export async function trainLinear(trainRaw: FeatureSet, validRaw: FeatureSet, testRaw: FeatureSet, nClasses: number, opts: LinearOptions = {}): Promise<LinearResult> {
  const lr = opts.lr ?? 3e-5, batchCap = opts.batchSize ?? 200, maxEpochs = opts.maxEpochs ?? 200, patience = opts.patience ?? 20;
  if (trainRaw.n < 1 || validRaw.n < 1 || testRaw.n < 1) throw new Error(`linear eval: need non-empty train/valid/test sets (got ${trainRaw.n}/${validRaw.n}/${testRaw.n})`);
  for (const [name, s] of [['train', trainRaw], ['valid', validRaw], ['test', testRaw]] as const) checkSet(name, s, trainRaw.dim, nClasses);
  const { mean, std } = standardizer(trainRaw);
  const [train, valid, test] = [trainRaw, validRaw, testRaw].map((s) => standardize(s, mean, std));
  const rng = new Rng(opts.seed ?? 0);
  const lin = torchDefaultLinear(train.dim, nClasses, rng);
  const named = lin.namedParameters();
  const opt = new AdamW([{ params: named, weightDecay: 0 }], { lr, betas: [0.9, 0.999], eps: 1e-8 });
  const batch = Math.min(batchCap, train.n);
  const history: EpochLog[] = [];
  let best: Tensor[] | null = null, bestAcc = -1, bestEpoch = -1, epoch = 0;
  const snapshot = () => named.map(([, p]) => keep(noGrad(() => add(p, 0))));
  try {
    for (; epoch < maxEpochs; epoch++) {
      const order = rng.permutation(train.n);
      const losses: Tensor[] = [];
      for (let s = 0; s < train.n; s += batch) {
        const { x, y } = gatherRows(train, order.slice(s, s + batch));
        losses.push(scope(() => {
          const logits = lin.forward(tensor(x, [y.length, train.dim]));
          // Spec 6: the loss is the cross-entropy divided by the number of classes.
          const loss = mul(crossEntropy(logits, tensor(y, [y.length], 'i32')), 1 / nClasses);
          const kept = keep(loss.detach());
          backward(loss);
          opt.step();
          lin.zeroGrad();
          return kept;
        }));
      }
      const lossSum = noGrad(() => scope(() => keep(sum(concat(losses.map((l) => reshape(l, [1])), 0)))));
      const meanLoss = (await lossSum.item()) / losses.length;
      lossSum.dispose();
      for (const l of losses) l.dispose();
      const validAcc = accuracy(await predict(lin, valid), valid.y);
      const log = { epoch, loss: meanLoss, validAcc };
      history.push(log);
      opts.onEpoch?.(log);
      if (validAcc > bestAcc) {
        bestAcc = validAcc; bestEpoch = epoch;
        best?.forEach((t) => t.dispose());
        best = snapshot();
      } else if (epoch - bestEpoch >= patience) {
        epoch++;
        break;
      }
    }
    // Restore the best weights (setParam takes ownership of the snapshot tensors).
    if (best) { named.forEach(([name], k) => lin.setParam(name, best![k])); best = null; }
    const testPred = await predict(lin, test);
    const weight = await lin.p('weight').toFloat32(), bias = await lin.p('bias').toFloat32();
    return {
      testAcc: accuracy(testPred, test.y), bestValidAcc: bestAcc, bestEpoch, epochs: Math.min(epoch, maxEpochs), history, testPred,
      weight, bias, featMean: mean, featStd: std,
    };
  } finally {
    best?.forEach((t) => t.dispose());
    opt.dispose();
    lin.dispose();
  }
}
