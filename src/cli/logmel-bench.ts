/**
 * `node dist/logmel-bench.js [--batch 1,8,32] [--seconds 10] [--reps 3] [--methods fft-thread,fft-group,dft-group,matmul]
 *  [--no-cpu] [--no-e2e] [--json FILE]`: log-mel throughput on the GPU (each DFT method) and on the CPU, as ms per
 * clip and real-time factor (seconds of audio per second). --json writes the results and the adapter to FILE.
 *
 * `node dist/logmel-bench.js --loader [--batch 32] [--batches 6] [--workers 0,1,N] [--seconds 10] [--wav-clips 64]
 *  [--step-clips-per-s X] [--json FILE]`: the pre-training loader's throughput (clips/s as [B, 80, 608] batches) from
 * the procedural corpus and from a temporary folder of WAV files, on the main thread and in worker threads (no GPU
 * needed); prints a table and a JSON record (also written to FILE).
 */
import { writeFile } from 'node:fs/promises';
import { init } from '../gpu/runtime';
import { runLogmelBench } from '../audio/logmel-bench';
import type { LogMelMethod } from '../audio/logmel-gpu';
import { runLoaderBench } from '../train/loader-bench';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function meta(adapter: string | null) {
  const os = await import('node:os');
  return { adapter, cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version, date: new Date().toISOString() };
}

async function loaderMain(): Promise<number> {
  const list = (name: string) => arg(name)?.split(',').map(Number);
  const step = arg('step-clips-per-s');
  const results = await runLoaderBench({
    batch: list('batch')?.[0], batches: list('batches')?.[0], workers: list('workers'), clipSeconds: list('seconds')?.[0],
    wavClips: list('wav-clips')?.[0], stepClipsPerS: step === undefined ? null : Number(step),
  });
  const record = { bench: 'loader', ...(await meta(null)), stepClipsPerS: step === undefined ? null : Number(step), results };
  console.log(`JSON ${JSON.stringify(record)}`);
  const json = arg('json');
  if (json) {
    await writeFile(json, JSON.stringify(record, null, 2) + '\n');
    console.log(`wrote ${json}`);
  }
  return 0;
}

async function main(): Promise<number> {
  if (process.argv.includes('--loader')) return loaderMain();
  const rt = await init();
  try {
    const adapter = rt.describe();
    console.log(`adapter: ${adapter}`);
    const batches = (arg('batch') ?? '1,8,32').split(',').map(Number);
    const clipSeconds = Number(arg('seconds') ?? 10);
    const methods = arg('methods')?.split(',') as LogMelMethod[] | undefined;
    const reps = Number(arg('reps') ?? 3);
    const results = await runLogmelBench({ batches, clipSeconds, methods, reps, cpu: !process.argv.includes('--no-cpu'), endToEnd: !process.argv.includes('--no-e2e') });
    const json = arg('json');
    if (json) {
      await writeFile(json, JSON.stringify({ ...(await meta(adapter)), results }, null, 2) + '\n');
      console.log(`wrote ${json}`);
    }
    return 0;
  } finally {
    rt.destroy();
  }
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
