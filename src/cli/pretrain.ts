/**
 * `node dist/pretrain.js`: AaSP self-supervised pre-training. See --help. User errors (options,
 * configs, data paths, checkpoints) print one line and exit with code 2; no stack trace.
 */
import { HELP, parseArgs, UsageError } from '../train/options';
import { runPretrain } from '../train/pretrain-run';
import { ConfigError } from '../aasp/config';
import { CheckpointError } from '../io/checkpoint';
import { DatasetError } from '../data/types';
import { makeEmbedder } from '../aasp/embedder';
import { MpiMissingError } from '../parallel/mpi';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) { process.stderr.write(`pretrain: ${e.message}\n`); return 2; }
    throw e;
  }
  if (!opts) { process.stdout.write(HELP); return 0; }
  try {
    return await runPretrain(opts, { makeEmbedder });
  } catch (e) {
    // Under mpirun every rank reports for itself; the rank number says which one failed.
    const rank = opts.distributed && process.env.OMPI_COMM_WORLD_RANK ? `rank ${process.env.OMPI_COMM_WORLD_RANK}: ` : '';
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof CheckpointError || e instanceof DatasetError || e instanceof MpiMissingError) {
      process.stderr.write(`pretrain: ${rank}${e.message}\n`);
      return 2;
    }
    process.stderr.write(`pretrain: ${rank}failed: ${e instanceof Error ? (process.env.AASP_DEBUG ? e.stack : e.message) : String(e)}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code), (e) => {
  process.stderr.write(`pretrain: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
