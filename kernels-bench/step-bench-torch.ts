/**
 * The PyTorch reference step as a persistent child process (kernels-bench/torch_step.py over
 * test/reference/), so Python's start-up and imports are never inside a timed repeat. Requests and
 * replies are JSON lines; each step is timed inside Python (CUDA: synchronised before and after).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AaspConfig } from '../src/aasp/config';

/** kernels-bench/torch_step.py, found from dist/, a copy of dist/ under it, and kernels-bench/ alike. */
export const TORCH_SCRIPT = ['../', '../../', '../../../']
  .map((up) => fileURLToPath(new URL(`${up}kernels-bench/torch_step.py`, import.meta.url)))
  .find((p) => existsSync(p)) ?? fileURLToPath(new URL('../kernels-bench/torch_step.py', import.meta.url));

/** This engine's config in the reference's field names (test/reference/aasp_ref.py AaspConfig). */
export function referenceConfig(cfg: AaspConfig, totalSteps: number, peakLr: number): Record<string, number | boolean> {
  return {
    D: cfg.D, depth: cfg.depth, heads: cfg.heads, Dp: cfg.Dp, pred_depth: cfg.predDepth, pred_heads: cfg.predHeads,
    M: cfg.modes, K: cfg.K, F: cfg.nMels, T: cfg.cropFrames, patch: cfg.patch, aape: cfg.aape, n_masks: cfg.masks,
    mask_ratio: cfg.maskRatio, lam: cfg.lambda, tau: cfg.tau, proj_dim: cfg.projDim, L_t: cfg.targetLayers,
    lr_peak: peakLr, beta1: cfg.beta1, beta2: cfg.beta2, adam_eps: cfg.adamEps, wd: cfg.weightDecay, clip: cfg.clip,
    ema0: cfg.ema0, ema1: cfg.ema1, total_steps: totalSteps,
  };
}

/** Why PyTorch cannot be used with this interpreter, or null when `import torch` works. */
export function torchMissing(python: string): string | null {
  if (!existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status === 0) return null;
  const lines = (r.stderr || r.error?.message || `exit code ${r.status}`).trim().split('\n');
  return lines[lines.length - 1];
}

interface Reply { ok: boolean; error?: string; [k: string]: unknown }

export class TorchStep {
  private child: ChildProcessWithoutNullStreams;
  private waiting: ((r: Reply) => void)[] = [];
  private stderr: string[] = [];
  private exited: string | null = null;

  constructor(python: string) {
    this.child = spawn(python, [TORCH_SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let r: Reply;
      try { r = JSON.parse(line) as Reply; } catch { this.stderr.push(line); return; }
      this.waiting.shift()?.(r);
    });
    createInterface({ input: this.child.stderr }).on('line', (l) => { this.stderr.push(l); if (this.stderr.length > 20) this.stderr.shift(); });
    this.child.on('exit', (code, sig) => {
      this.exited = `torch_step.py exited (${sig ?? `code ${code}`}): ${this.stderr.slice(-3).join(' | ')}`;
      for (const w of this.waiting.splice(0)) w({ ok: false, error: this.exited });
    });
  }

  private request(msg: Record<string, unknown>): Promise<Reply> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      this.waiting.push((r) => (r.ok ? resolve(r) : reject(new Error(`PyTorch: ${r.error}`))));
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Build the reference model from `params` (student, spec names) with the batch and masks given as raw files. */
  async setup(opts: { config: Record<string, number | boolean>; params: string; x: string; vis: string; mask: string; B: number; device: string; threads: number }): Promise<{ version: string; device: string; threads: number }> {
    const r = await this.request({ cmd: 'setup', ...opts });
    return { version: String(r.torch), device: String(r.device), threads: Number(r.threads) };
  }

  /** One timed training step at 0-based step s: Python-side wall and CPU (all threads) milliseconds, and the loss. */
  async step(s: number): Promise<{ ms: number; cpuMs: number; loss: number }> {
    const r = await this.request({ cmd: 'step', s });
    return { ms: Number(r.ms), cpuMs: Number(r.cpu_ms), loss: Number(r.loss) };
  }

  close(): void {
    if (this.exited) return;
    try { this.child.stdin.write('{"cmd": "quit"}\n'); this.child.stdin.end(); } catch { /* already gone */ }
    const t = setTimeout(() => this.child.kill(), 5000);
    this.child.on('exit', () => clearTimeout(t));
  }
}
