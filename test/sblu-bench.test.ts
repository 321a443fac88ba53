// The SBLU benchmark's cases: both fused kernel families and the unfused composition, each timed,
// and the summary line comparing them (kernels-bench/sblu.ts).
import { describe, expect, it } from 'vitest';
import { useGpu } from './helpers/gpu';
import { runSbluBench } from '../kernels-bench/sblu';

useGpu();

describe('sblu-bench', () => {
  it('times rows, tiles and unfused, forward and forward + backward, and compares them', { timeout: 300_000 }, async () => {
    const lines: string[] = [];
    const shape = { B: 2, F: 3, T: 40, M: 4, K: 33 };
    const results = await runSbluBench({ shapes: [shape], reps: 1, log: (s) => lines.push(s) });
    expect(results.map((r) => r.name)).toEqual(['fwd', 'fwd+bwd'].flatMap((p) => ['rows', 'tiles', 'unfused'].map((i) => `sblu ${i} ${p} B=2`)));
    for (const r of results) expect(r.medianMs).toBeGreaterThan(0);
    const summary = lines.filter((l) => l.startsWith('B=2 '));
    expect(summary).toHaveLength(2);
    expect(summary[1]).toMatch(/^B=2 fwd\+bwd: rows \d+\.\d\d× the speed of tiles; fused \((rows|tiles), this adapter's pick\) \d+\.\d× unfused/);
  });
});
