/**
 * kernels-bench cases for the log-mel front end (spec section 2): the GPU extractor with each DFT
 * method ('fft-thread', 'fft-group', 'dft-group', 'matmul'; inputs resident on the GPU), the default
 * method end to end (arrays in, arrays out), and the CPU paths (float64 reference, fast CPU), on
 * batches of 1, 8 and 32 clips of 10 s at 16 kHz. The cases live in src/audio/logmel-bench.ts so that
 * the stand-alone entry src/cli/logmel-bench.ts (`node dist/logmel-bench.js`) can use them too.
 */
export {
  logmelBenchCases, runLogmelCase, runLogmelBench, formatResult, benchClips,
  type LogMelBenchCase, type LogMelBenchResult, type CaseOptions,
} from '../src/audio/logmel-bench';
