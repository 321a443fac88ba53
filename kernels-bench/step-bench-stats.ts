/**
 * Summaries for step-bench: medians, and a profile's rows (one per kernel, template parameters in
 * brackets) merged into kernel families (the shader file: matmul_sg, lambda-conv, sblu, unary, …).
 */
export interface ProfileRow { kernel: string; ms: number; count: number }
export interface Family { family: string; ms: number; count: number; percent: number; entries: Record<string, number> }

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** `file[T8,…]:entry` → { family: file, entry }. */
export function splitKernelName(name: string): { family: string; entry: string } {
  const noParams = name.replace(/\[[^\]]*\]/g, '');
  const i = noParams.lastIndexOf(':');
  return i < 0 ? { family: noParams, entry: 'main' } : { family: noParams.slice(0, i), entry: noParams.slice(i + 1) };
}

/** Families by GPU time, largest first, with each entry point's milliseconds. */
export function kernelFamilies(rows: ProfileRow[]): Family[] {
  const total = rows.reduce((a, r) => a + r.ms, 0) || 1;
  const by = new Map<string, Family>();
  for (const r of rows) {
    const { family, entry } = splitKernelName(r.kernel);
    let f = by.get(family);
    if (!f) { f = { family, ms: 0, count: 0, percent: 0, entries: {} }; by.set(family, f); }
    f.ms += r.ms;
    f.count += r.count;
    f.entries[entry] = (f.entries[entry] ?? 0) + r.ms;
  }
  const out = [...by.values()].sort((a, b) => b.ms - a.ms);
  for (const f of out) f.percent = (100 * f.ms) / total;
  return out;
}
