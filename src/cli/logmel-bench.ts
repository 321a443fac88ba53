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
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec, type Parsed } from '../eval/cli-args';

const FLAGS: Record<string, FlagSpec> = {
  loader: { type: 'boolean', help: 'measure the pre-training loader instead of the log-mel kernels' },
  batch: { type: 'numbers', help: 'clips per batch (kernels: a list; loader: the first)', meta: 'N[,N...]' },
  seconds: { type: 'number', help: 'clip length in seconds', default: 10 },
  reps: { type: 'int', help: 'timed repeats per case (kernels)', default: 3 },
  methods: { type: 'strings', help: 'GPU DFT methods: fft-thread,fft-group,dft-group,matmul (kernels)', meta: 'LIST' },
  cpu: { type: 'boolean', help: 'also time the CPU log-mel (kernels; --no-cpu to skip)', default: true },
  e2e: { type: 'boolean', help: 'also time upload + log-mel end to end (kernels; --no-e2e to skip)', default: true },
  batches: { type: 'int', help: 'batches per case (loader)' },
  workers: { type: 'numbers', help: 'worker counts to compare (loader), e.g. 0,1,N', meta: 'N[,N...]' },
  'wav-clips': { type: 'int', help: 'WAV files in the temporary folder (loader)' },
  'step-clips-per-s': { type: 'number', help: 'training step rate to simulate (loader)' },
  json: { type: 'string', help: 'write the results as JSON', meta: 'FILE' },
};
const USAGE = () => usage('node dist/logmel-bench.js [--loader] [options]', FLAGS);

async function meta(adapter: string | null) {
  const os = await import('node:os');
  return { adapter, cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version, date: new Date().toISOString() };
}

async function writeJson(path: string | undefined, record: unknown): Promise<void> {
  if (!path) return;
  await writeFile(path, JSON.stringify(record, null, 2) + '\n');
  console.log(`wrote ${path}`);
}

async function loaderMain(p: Parsed): Promise<number> {
  const step = p.flags['step-clips-per-s'] as number | undefined;
  const results = await runLoaderBench({
    batch: get.nums(p, 'batch')?.[0], batches: p.flags.batches as number | undefined, workers: get.nums(p, 'workers'),
    clipSeconds: get.num(p, 'seconds'), wavClips: p.flags['wav-clips'] as number | undefined, stepClipsPerS: step ?? null,
  });
  const record = { bench: 'loader', ...(await meta(null)), stepClipsPerS: step ?? null, results };
  console.log(`JSON ${JSON.stringify(record)}`);
  await writeJson(get.str(p, 'json'), record);
  return 0;
}

async function main(): Promise<number> {
  const p = parseArgs(process.argv.slice(2), FLAGS);
  if (p.help) { console.log(USAGE()); return 0; }
  if (p.positional.length) throw new UsageError(`unexpected argument ${p.positional[0]}`);
  if (get.bool(p, 'loader')) return loaderMain(p);
  const rt = await init();
  try {
    const adapter = rt.describe();
    console.log(`adapter: ${adapter}`);
    const results = await runLogmelBench({
      batches: get.nums(p, 'batch') ?? [1, 8, 32], clipSeconds: get.num(p, 'seconds'), methods: get.strs(p, 'methods') as LogMelMethod[] | undefined,
      reps: get.num(p, 'reps'), cpu: get.bool(p, 'cpu'), endToEnd: get.bool(p, 'e2e'),
    });
    await writeJson(get.str(p, 'json'), { ...(await meta(adapter)), results });
    return 0;
  } finally {
    rt.destroy();
  }
}

runCli(main);
