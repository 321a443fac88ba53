/**
 * metrics.jsonl (one JSON object per step) and the loss plot next to it. On resume the file is cut
 * back to the steps before the checkpoint, so a run killed after its last checkpoint and resumed has
 * exactly one line per step, identical to an uninterrupted run's (except the timing field).
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../util/plot';

export interface StepMetrics {
  step: number;
  loss: number;
  loss_pred: number;
  loss_con: number;
  /** Masked-patch reconstruction MSE (0 when config reconWeight is 0). */
  loss_rec?: number;
  /** Feature decorrelation (only when config decorWeight > 0). */
  loss_decor?: number;
  lr: number;
  clips_per_s: number;
  /** Milliseconds the step waited for its batch (0 when the loader kept ahead). */
  data_wait_ms: number;
  /** Wall milliseconds of the whole step (batch wait included). */
  step_ms: number;
  grad_norm: number;
  clip_scale: number;
  ema_tau: number;
  target_std?: number;
  teacher_out_std?: number;
  target_token_std?: number;
  eff_rank?: number;
  eff_rank_max?: number;
  skipped?: number;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export class MetricsLog {
  readonly path: string;
  readonly plotPath: string;
  private history: { step: number; loss: number; pred: number; con: number; rec: number; decor: number }[] = [];

  /** Open the log; keep only lines with step < `fromStep` (0 for a fresh run). */
  constructor(readonly dir: string, fromStep: number, private title = 'AaSP pre-training') {
    this.path = join(dir, 'metrics.jsonl');
    this.plotPath = join(dir, 'loss.svg');
    const kept: string[] = [];
    if (fromStep > 0 && existsSync(this.path)) {
      for (const line of readFileSync(this.path, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        let m: StepMetrics;
        try { m = JSON.parse(line); } catch { continue; } // a line torn by a kill
        if (m.step < fromStep) { kept.push(line); this.remember(m); }
      }
    }
    writeAtomic(this.path, kept.map((l) => `${l}\n`).join(''));
  }

  private remember(m: StepMetrics): void {
    this.history.push({ step: m.step, loss: m.loss, pred: m.loss_pred, con: m.loss_con, rec: m.loss_rec ?? 0, decor: m.loss_decor ?? 0 });
  }

  append(m: StepMetrics): void {
    appendFileSync(this.path, `${JSON.stringify(m)}\n`);
    this.remember(m);
  }

  writePlot(): void {
    const h = this.history;
    const series = [
      { name: 'loss', color: '#1f77b4', points: h.map((p): [number, number] => [p.step, p.loss]) },
      { name: 'loss_pred', color: '#ff7f0e', points: h.map((p): [number, number] => [p.step, p.pred]) },
    ];
    if (h.some((p) => p.con !== 0)) series.push({ name: 'loss_con', color: '#2ca02c', points: h.map((p): [number, number] => [p.step, p.con]) });
    if (h.some((p) => p.rec !== 0)) series.push({ name: 'loss_rec', color: '#9467bd', points: h.map((p): [number, number] => [p.step, p.rec]) });
    if (h.some((p) => p.decor !== 0)) series.push({ name: 'loss_decor', color: '#8c564b', points: h.map((p): [number, number] => [p.step, p.decor]) });
    writeAtomic(this.plotPath, lineChartSvg(series, { title: this.title, xLabel: 'step' }));
  }
}
