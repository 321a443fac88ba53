/**
 * Progress display for long runs: a cli-progress bar (step, losses, clips/s, ETA) on a terminal,
 * and a plain line every `lineEvery` steps otherwise (logs and CI have no cursor control).
 */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  loss: number; lossPred: number; lossCon: number; clipsPerS: number;
  /** Shown when given (config reconWeight > 0). */
  lossRec?: number;
  /** Shown when given (config decorWeight > 0). */
  lossDecor?: number;
}

const fmt = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '-');

function eta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private t0 = Date.now();
  private startStep: number;

  constructor(private total: number, start: number, private stream: NodeJS.WriteStream = process.stderr, private lineEvery = 10) {
    this.startStep = start;
    if (stream.isTTY) {
      this.bar = new cliProgress.SingleBar({
        stream,
        format: 'step {value}/{total} |{bar}| loss {loss} (pred {pred}, con {con}{rec}{decor}) | {cps} clips/s | ETA {eta_h}',
        barsize: 24, hideCursor: true, clearOnComplete: false, etaBuffer: 20,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, start, { loss: '-', pred: '-', con: '-', rec: '', decor: '', cps: '-', eta_h: '?' });
    }
  }

  update(step: number, f: ProgressFields): void {
    const done = step - this.startStep;
    const perStep = (Date.now() - this.t0) / 1000 / Math.max(done, 1);
    const payload = { loss: fmt(f.loss), pred: fmt(f.lossPred), con: fmt(f.lossCon), rec: f.lossRec === undefined ? '' : `, rec ${fmt(f.lossRec)}`, decor: f.lossDecor === undefined ? '' : `, decor ${fmt(f.lossDecor)}`, cps: fmt(f.clipsPerS, 2), eta_h: eta(perStep * (this.total - step)) };
    if (this.bar) this.bar.update(step, payload);
    else if (step % this.lineEvery === 0 || step === this.total) {
      this.stream.write(`step ${step}/${this.total} loss ${payload.loss} (pred ${payload.pred}, con ${payload.con}${payload.rec}${payload.decor}) ${payload.cps} clips/s ETA ${payload.eta_h}\n`);
    }
  }

  /** Print a message without breaking the bar. */
  log(msg: string): void {
    if (this.bar) this.stream.write(`\r\x1b[K${msg}\n`);
    else this.stream.write(`${msg}\n`);
  }

  stop(): void { this.bar?.stop(); this.bar = null; }
}
