/**
 * The pre-training loop's entry into data parallelism (`--distributed`): start MPI with the
 * command line's settings, and give only rank 0 a voice (the others would repeat every line).
 */
import type { PretrainOptions } from './options';
import { DataParallel } from './distributed';

/** Gradient bucket size: large enough that per-call MPI latency is negligible, small enough to pipeline. */
const BUCKET_MB = Number(process.env.AASP_DIST_BUCKET_MB ?? 16) || 16;

export function startDistributed(o: PretrainOptions, log?: (m: string) => void): Promise<DataParallel> {
  return DataParallel.start({ timeoutS: o.distTimeout, checkEvery: o.distCheckEvery, bucketMb: BUCKET_MB }, log ?? ((m) => process.stderr.write(`${m}\n`)));
}

/** Rank 0 logs; the other ranks stay quiet (their errors still reach stderr through the CLI). */
export function rankLog(dist: DataParallel | null, log: (m: string) => void): (m: string) => void {
  return !dist || dist.lead ? log : () => {};
}
