/**
 * `node dist/logmel-bench.js [--batch 1,8,32] [--seconds 10] [--reps 3] [--methods fft-thread,fft-group,dft-group,matmul]
 *  [--no-cpu] [--no-e2e] [--json FILE]`: log-mel throughput on the GPU (each DFT method) and on the CPU, as ms per
 * clip and real-time factor (seconds of audio per second). --json writes the results and the adapter to FILE.
 */
import { writeFile } from 'node:fs/promises';
import { init } from '../gpu/runtime';
import { runLogmelBench } from '../audio/logmel-bench';
import type { LogMelMethod } from '../audio/logmel-gpu';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
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
      const os = await import('node:os');
      const meta = { adapter, cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version, date: new Date().toISOString() };
      await writeFile(json, JSON.stringify({ ...meta, results }, null, 2) + '\n');
      console.log(`wrote ${json}`);
    }
    return 0;
  } finally {
    rt.destroy();
  }
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
