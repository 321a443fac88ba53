/**
 * Classification metrics on CPU arrays: accuracy (single-label) and mean average precision
 * (multi-label, as AudioSet is reported). Platform-neutral.
 */

/** Index of the largest value in each row of a row-major [rows, cols] matrix (first on ties). */
export function argmaxRows(scores: ArrayLike<number>, rows: number, cols: number): Int32Array {
  if (scores.length !== rows * cols) throw new Error(`argmaxRows: ${scores.length} values for [${rows}, ${cols}]`);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = scores[r * cols + c];
      if (v > bv) { bv = v; best = c; }
    }
    out[r] = best;
  }
  return out;
}

/** Fraction of predictions equal to the targets. */
export function accuracy(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  if (pred.length !== target.length) throw new Error(`accuracy: ${pred.length} predictions for ${target.length} targets`);
  if (pred.length === 0) return NaN;
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === target[i]) ok++;
  return ok / pred.length;
}

/**
 * Average precision of one class: Σ_k (R_k − R_{k−1}) · P_k over the distinct score thresholds in
 * decreasing order (tied scores enter together), as scikit-learn's average_precision_score.
 * NaN when there is no positive example.
 */
export function averagePrecision(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`averagePrecision: ${n} scores for ${positive.length} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  if (nPos === 0) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let tp = 0, seen = 0, ap = 0, prevRecall = 0;
  for (let k = 0; k < n;) {
    const s = scores[order[k]];
    // Every example with this score crosses the threshold at once.
    while (k < n && scores[order[k]] === s) { if (positive[order[k]]) tp++; seen++; k++; }
    const recall = tp / nPos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/**
 * Mean over classes of the average precision; `scores` and `labels` are row-major [rows, cols]
 * (labels 0/1). Classes with no positive example are left out of the mean (their AP is undefined).
 */
export function meanAveragePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>, rows: number, cols: number): { map: number; perClass: number[] } {
  if (scores.length !== rows * cols || labels.length !== rows * cols) {
    throw new Error(`meanAveragePrecision: expected ${rows * cols} scores and labels, got ${scores.length} and ${labels.length}`);
  }
  const perClass: number[] = [];
  const s = new Float64Array(rows), y = new Uint8Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) { s[r] = scores[r * cols + c]; y[r] = labels[r * cols + c] ? 1 : 0; }
    perClass.push(averagePrecision(s, y));
  }
  const valid = perClass.filter((v) => !Number.isNaN(v));
  return { map: valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : NaN, perClass };
}
