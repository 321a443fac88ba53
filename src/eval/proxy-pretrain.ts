/**
 * Pre-training runs for the proxy benchmark (Node only). Each run is `node dist/pretrain.js` in a
 * child process: its own GPU device and memory, the same code path a user runs, and its progress
 * visible. A run folder is named after its settings, so a finished run is reused and an interrupted
 * one resumes from its newest checkpoint.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PretrainRunSpec {
  outRoot: string;
  aape: boolean;
  steps: number;
  batch: number;
  clipSeconds: number;
  seed: number;
  config: string;
  /** Extra arguments passed through (e.g. --mask-ratio 0.6). */
  extra?: string[];
}

/** A CLI bundle next to this one (dist/<name>.js), e.g. 'pretrain'. */
export function distScript(name: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, `${name}.js`), join(here, '..', '..', 'dist', `${name}.js`), join(process.cwd(), 'dist', `${name}.js`)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`dist/${name}.js not found (looked in ${candidates.join(', ')}); run node build.mjs`);
  return found;
}

/** Run `node <args>` with this process's stdout and stderr; resolves to its exit code (128 when killed by a signal). */
export function runNode(args: string[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
}

export function runDir(s: PretrainRunSpec): string {
  const cfg = basename(s.config).replace(/\.json$/i, '').replace(/[^A-Za-z0-9_-]+/g, '_');
  return join(s.outRoot, `pretrain-${cfg}-${s.aape ? 'aape' : 'noaape'}-s${s.steps}-b${s.batch}-c${s.clipSeconds}-seed${s.seed}${s.extra?.length ? `-${s.extra.join('_').replace(/[^A-Za-z0-9_.-]+/g, '')}` : ''}`);
}

const stepName = (s: number) => `step-${String(s).padStart(6, '0')}.safetensors`;

/** Run (or reuse, or resume) one pre-training; resolves to the final checkpoint's path. */
export async function pretrainOnce(s: PretrainRunSpec, log: (m: string) => void): Promise<string> {
  const dir = runDir(s);
  const final = join(dir, 'checkpoints', stepName(s.steps));
  if (existsSync(final)) { log(`reusing ${final}`); return final; }
  const ckDir = join(dir, 'checkpoints');
  const resume = existsSync(ckDir) && readdirSync(ckDir).some((f) => /^step-\d+\.safetensors$/.test(f));
  const args = [distScript('pretrain'), '--out', dir];
  if (resume) args.push('--resume');
  else {
    args.push('--config', s.config, '--steps', String(s.steps), '--batch', String(s.batch), '--clip-seconds', String(s.clipSeconds),
      '--seed', String(s.seed), '--checkpoint-every', String(Math.max(1, Math.ceil(s.steps / 4))), ...(s.aape ? [] : ['--no-aape']), ...(s.extra ?? []));
  }
  log(`pre-training (AaPE ${s.aape ? 'on' : 'off'}, ${s.steps} steps × ${s.batch} clips): node ${args.join(' ')}`);
  const t0 = Date.now();
  const code = await runNode(args);
  if (code !== 0) throw new Error(`pre-training exited with code ${code} (log in ${dir})`);
  if (!existsSync(final)) throw new Error(`pre-training finished but ${final} is missing`);
  log(`pre-training done in ${((Date.now() - t0) / 60000).toFixed(1)} min: ${final}`);
  return final;
}
