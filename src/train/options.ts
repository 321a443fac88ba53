/**
 * Command-line options of `pretrain`. Parsing is strict (unknown options, missing or malformed
 * values are errors) because a typo in a long run should fail in the first second, not after a day.
 */
import type { MaskType } from '../aasp/config';

export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = 'UsageError'; }
}

export interface PretrainOptions {
  config: string;
  data: string | null;
  steps: number | null;
  epochs: number | null;
  batch: number;
  lr: number | null;
  masks: number | null;
  maskRatio: number | null;
  maskType: MaskType | null;
  aape: boolean;
  contrastive: boolean;
  seed: number;
  out: string;
  /** '' = the newest checkpoint in <out>/checkpoints; a path = that file; null = fresh run. */
  resume: string | null;
  checkpointEvery: number;
  monitorEvery: number;
  plotEvery: number;
  clipSeconds: number;
  /** Fraction of procedural corpus clips that are speech (null: every type equally likely). */
  speechShare: number | null;
  /** A dataset mixed into the procedural corpus (null: none), and the share of clips drawn from it. */
  mixData: string | null;
  mixShare: number | null;
  features: 'cpu' | 'gpu';
  /** Step whose GPU kernels are timed one by one and printed (null: none). */
  profile: number | null;
  /** Data-parallel over MPI ranks (train/distributed.ts) and its watchdog/check settings. */
  distributed: boolean;
  distTimeout: number;
  distCheckEvery: number;
  /** Options the user actually gave (resume warns when they differ from the checkpoint's). */
  given: Set<string>;
}

export const HELP = `Usage: node dist/pretrain.js [options]

AaSP self-supervised pre-training (teacher-student, multi-mask prediction + contrastive).

Model and data
  --config NAME|FILE     tiny (default), tiny-cpu, small, base, or a JSON file: {"base": "tiny", <field>: <value>, ...}
  --data PATH            folder of audio, file list (.txt), AudioSet *_segments.csv, or any dataset
                         layout the data readers know; default: the built-in procedural corpus
  --clip-seconds S       length of procedural corpus clips (default 10)
  --speech-share P       fraction of procedural corpus clips that are espeak-ng speech, the other
                         types sharing the rest evenly (default: all nine types alike, 1/9 speech)
  --mix-data PATH        a dataset (any --data layout) mixed into the procedural corpus: with
  --mix-share P          a share P of the clips drawn from it (seeded, with replacement)
  --features cpu|gpu     where the log-mel front end runs (default cpu; same numbers to float32
                         rounding, so a run must keep one choice to resume exactly)

Schedule
  --steps N              total optimiser steps (default 1000 unless --epochs is given); with
                         --resume, a new total beyond the checkpoint's step (extends a finished run)
  --epochs E             total epochs over --data (steps = ceil(E · files / batch))
  --batch B              clips per step (default 8)
  --lr X                 peak learning rate (default: 1e-3 for tiny, 3e-4·B/256 for small/base)
  --seed S               the one seed for init, data order, crops and masks (default 0)

Recipe (ablations)
  --masks M              masks per clip (default 4)
  --mask-ratio R         masked fraction r in [0, 1) (default 0.7)
  --mask-type T          random (default) or inverse-block
  --no-aape              standard patch embedding only (no alias branch)
  --no-contrastive       prediction loss only (λ = 0)

Output
  --out DIR              output folder (default runs/pretrain): metrics.jsonl, loss.svg, checkpoints/
  --checkpoint-every N   write a checkpoint every N steps (default 500, or the resumed run's; 0: only
                         at the end and on SIGINT/SIGTERM)
  --resume [FILE]        continue from FILE, or from the newest valid checkpoint in <out>/checkpoints
  --monitor-every N      collapse monitors (target std, effective rank) every N steps (default 25)
  --plot-every N         refresh loss.svg every N steps (default 10)
  --profile STEP         time every GPU kernel of step STEP (timestamp queries) and print the
                         table, also written to <out>/profile.json (AASP_PROFILE_DETAIL=1:
                         one row per call site instead of per kernel)

Several processes or GPUs (docs/distributed.md)
  --distributed          data-parallel: run under mpirun -np N; each rank trains on B/N clips of
                         the same global batch, gradients averaged with MPI_Allreduce; rank 0 writes
  --dist-timeout S       end the job naming the rank that died or hangs after S s (default 300)
  --dist-check-every N   compare a parameter checksum over ranks every N steps (default 100)
  -h, --help             this text

Exit codes: 0 done, 1 failure, 2 bad options/config/data, 130/143 interrupted (after a checkpoint).
`;

const DEFAULTS: Omit<PretrainOptions, 'given'> = {
  config: 'tiny', data: null, steps: null, epochs: null, batch: 8, lr: null, masks: null, maskRatio: null, maskType: null,
  aape: true, contrastive: true, seed: 0, out: 'runs/pretrain', resume: null, checkpointEvery: 500, monitorEvery: 25,
  plotEvery: 10, clipSeconds: 10, speechShare: null, mixData: null, mixShare: null, features: 'cpu', profile: null, distributed: false, distTimeout: 300, distCheckEvery: 100,
};

type Kind = 'str' | 'int+' | 'int0' | 'num+' | 'ratio' | 'share' | 'masktype' | 'flag-off' | 'flag-on' | 'seed' | 'features';
const SPEC: Record<string, [keyof PretrainOptions, Kind]> = {
  '--config': ['config', 'str'], '--data': ['data', 'str'], '--steps': ['steps', 'int+'], '--epochs': ['epochs', 'num+'],
  '--batch': ['batch', 'int+'], '--lr': ['lr', 'num+'], '--masks': ['masks', 'int+'], '--mask-ratio': ['maskRatio', 'ratio'],
  '--mask-type': ['maskType', 'masktype'], '--no-aape': ['aape', 'flag-off'], '--no-contrastive': ['contrastive', 'flag-off'],
  '--seed': ['seed', 'seed'], '--out': ['out', 'str'], '--checkpoint-every': ['checkpointEvery', 'int0'],
  '--monitor-every': ['monitorEvery', 'int0'], '--plot-every': ['plotEvery', 'int0'], '--clip-seconds': ['clipSeconds', 'num+'], '--speech-share': ['speechShare', 'share'],
  '--mix-data': ['mixData', 'str'], '--mix-share': ['mixShare', 'share'],
  '--features': ['features', 'features'], '--profile': ['profile', 'int0'],
  '--distributed': ['distributed', 'flag-on'], '--dist-timeout': ['distTimeout', 'num+'], '--dist-check-every': ['distCheckEvery', 'int0'],
};

function parseValue(opt: string, kind: Kind, v: string): unknown {
  const num = Number(v);
  const bad = (what: string) => new UsageError(`${opt} expects ${what}, got "${v}"`);
  switch (kind) {
    case 'str': return v;
    case 'int+': if (!/^\d+$/.test(v) || num <= 0) throw bad('a positive integer'); return num;
    case 'int0': if (!/^\d+$/.test(v)) throw bad('a non-negative integer'); return num;
    case 'seed': if (!/^\d+$/.test(v) || num > 0xffffffff) throw bad('an integer in [0, 2^32)'); return num;
    case 'num+': if (v.trim() === '' || !Number.isFinite(num) || num <= 0) throw bad('a positive number'); return num;
    case 'ratio': if (v.trim() === '' || !Number.isFinite(num) || num < 0 || num >= 1) throw bad('a number in [0, 1)'); return num;
    case 'share': if (v.trim() === '' || !Number.isFinite(num) || num < 0 || num > 1) throw bad('a number in [0, 1]'); return num;
    case 'masktype': if (v !== 'random' && v !== 'inverse-block') throw bad('random or inverse-block'); return v;
    case 'features': if (v !== 'cpu' && v !== 'gpu') throw bad('cpu or gpu'); return v;
    default: throw new Error(`unhandled option kind ${kind}`);
  }
}

/** Parse argv (without node and script). Returns null for --help. */
export function parseArgs(argv: string[]): PretrainOptions | null {
  const o: PretrainOptions = { ...DEFAULTS, given: new Set() };
  const rec = o as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '-h' || a === '--help') return null;
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { inline = a.slice(eq + 1); a = a.slice(0, eq); }
    if (a === '--resume') {
      const next = inline ?? argv[i + 1];
      if (inline === undefined && next !== undefined && !next.startsWith('-')) { o.resume = next; i++; } else o.resume = inline ?? '';
      o.given.add('resume');
      continue;
    }
    const spec = SPEC[a];
    if (!spec) throw new UsageError(`unknown option ${a} (see --help)`);
    const [key, kind] = spec;
    o.given.add(key);
    if (kind === 'flag-off' || kind === 'flag-on') {
      if (inline !== undefined) throw new UsageError(`${a} takes no value`);
      rec[key] = kind === 'flag-on';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`${a} needs a value`);
    rec[key] = parseValue(a, kind, v);
  }
  if (o.steps !== null && o.epochs !== null) throw new UsageError('give --steps or --epochs, not both');
  if (o.speechShare !== null && o.data !== null) throw new UsageError('--speech-share applies to the procedural corpus, not to --data');
  if (o.mixData !== null && o.data !== null) throw new UsageError('--mix-data mixes a dataset into the procedural corpus; with --data there is no corpus to mix into');
  if ((o.mixData === null) !== (o.mixShare === null)) throw new UsageError('--mix-data and --mix-share go together (the dataset and the share of clips drawn from it)');
  if (o.mixShare === 0) throw new UsageError('--mix-share must be above 0 (leave out --mix-data for the corpus alone)');
  if (o.epochs !== null && o.data === null) throw new UsageError('--epochs needs --data (the procedural corpus is endless; use --steps)');
  return o;
}
