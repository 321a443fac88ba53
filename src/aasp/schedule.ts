/**
 * Learning-rate and EMA schedules (spec 5.9, 5.10), as pure functions of the 0-based step s and the
 * total S, so a resumed run gets exactly the values of an uninterrupted one.
 */

/** Warm-up length W = max(1, floor(S·fraction)) (spec default fraction 0.1). */
export function warmupSteps(total: number, fraction = 0.1): number {
  return Math.max(1, Math.floor(total * fraction));
}

/**
 * peak·(s+1)/W during warm-up, then peak·½(1 + cos(π(s − W)/(S − W))). When S ≤ W there is no cosine
 * part (a run shorter than its warm-up just ramps).
 */
export function lrAt(s: number, total: number, peak: number, warmup = warmupSteps(total)): number {
  if (s < warmup) return (peak * (s + 1)) / warmup;
  if (total <= warmup) return peak;
  return peak * 0.5 * (1 + Math.cos((Math.PI * (s - warmup)) / (total - warmup)));
}

/** τ_e = τ0 + (τ1 − τ0)·s/S. */
export function emaTauAt(s: number, total: number, tau0: number, tau1: number): number {
  return tau0 + ((tau1 - tau0) * s) / total;
}
