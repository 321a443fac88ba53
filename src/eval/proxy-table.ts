/**
 * The proxy benchmark's report: one row per model (random init / pre-trained × AaPE on / off), one
 * column per task (linear accuracy, mean ± 95 % CI over seeds) and the stability summary, as a
 * Markdown table that reads well in a terminal too. Platform-neutral.
 */
import { formatPercentCI, type MeanCI } from './stats';

export interface BenchCell { ci: MeanCI }
export interface BenchRow { model: string; cells: Record<string, BenchCell | undefined>; stability?: number }

export function benchTable(tasks: readonly string[], rows: readonly BenchRow[], opts: { digits?: number } = {}): string {
  const d = opts.digits ?? 1;
  const head = ['model', ...tasks.map((t) => `${t} acc %`), 'stability (mean cos, s=1..15)'];
  const body = rows.map((r) => [
    r.model,
    ...tasks.map((t) => (r.cells[t] ? formatPercentCI(r.cells[t]!.ci, d) : '—')),
    r.stability === undefined ? '—' : r.stability.toFixed(5),
  ]);
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) => `| ${cells.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
