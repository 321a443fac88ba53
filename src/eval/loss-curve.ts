/**
 * Loss curves of finished or running pre-training runs, read back from their metrics.jsonl, for the
 * benchmark reports' loss plots (Node only).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Step and loss of a pre-training run's metrics.jsonl (empty when absent; a torn last line is skipped). */
export function lossCurve(path: string): { x: number[]; y: number[] } {
  const x: number[] = [], y: number[] = [];
  if (!existsSync(path)) return { x, y };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try { const m = JSON.parse(line); if (Number.isFinite(m.step) && Number.isFinite(m.loss)) { x.push(m.step); y.push(m.loss); } } catch { /* a torn last line */ }
  }
  return { x, y };
}

/**
 * The loss curves of the proxy benchmark's pre-training runs in `dir` (its pretrain-* folders, named
 * by src/eval/proxy-pretrain.ts), each called 'AaPE on' or 'AaPE off'.
 */
export function benchLossCurves(dir: string): { name: string; x: number[]; y: number[] }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith('pretrain-')).sort()
    .map((f) => ({ name: /-noaape-/.test(f) ? 'AaPE off' : 'AaPE on', ...lossCurve(join(dir, f, 'metrics.jsonl')) }))
    .filter((c) => c.x.length > 0);
}
