/**
 * `node dist/loss-shares.js [options]`: which loss term trains which part of the student. Draws one
 * batch of the built-in procedural corpus (crops and masks from --seed), runs one backward per term
 * of the objective (prediction, λ·contrastive, w·reconstruction, w·decorrelation), and prints
 * each term's gradient norm per module group, with the step's total, as a table and (--json)
 * JSON. With --checkpoint the student and teacher are a pre-training checkpoint's (its config
 * too); tensors the checkpoint lacks (a `recon` head when --recon-weight turns it on) keep their
 * init, and are named.
 */
import { writeFile } from 'node:fs/promises';
import { init } from '../gpu/runtime';
import { tensor } from '../tensor/tensor';
import { get, parseArgs, runCli, usage, UsageError, type FlagSpec } from '../eval/cli-args';
import { grid, loadConfig, maskCounts, validateConfig, type AaspConfig } from '../aasp/config';
import { AaspStudent, Teacher } from '../aasp/model';
import { makeEmbedder } from '../aasp/embedder';
import { drawMasks } from '../aasp/masking';
import { Rng } from '../util/rng';
import { readCheckpoint, writeCheckpointTensors } from '../io/checkpoint';
import { proceduralSource } from '../train/sources';
import { cpuLogMel, DataStream } from '../train/data';
import { shiftPairsProblem, trainingBatch } from '../train/shift-pairs';
import { GROUPS, lossShares } from '../train/loss-shares';
import { freezeParameters } from '../train/step';

const SPEC: Record<string, FlagSpec> = {
  config: { type: 'string', help: 'preset or JSON config (ignored with --checkpoint, which carries its own)', default: 'tiny-cpu', meta: 'NAME|FILE' },
  checkpoint: { type: 'string', help: 'a pre-training checkpoint: its student, teacher and config', meta: 'PATH' },
  lambda: { type: 'number', help: 'override the contrastive weight λ' },
  'recon-weight': { type: 'number', help: 'override the reconstruction weight w' },
  'decor-weight': { type: 'number', help: 'override the feature-decorrelation weight' },
  'no-aape': { type: 'boolean', help: 'standard patch embedding only (not with --checkpoint)' },
  batch: { type: 'int', help: 'clips in the batch', default: 8 },
  'clip-seconds': { type: 'number', help: 'length of the procedural clips', default: 3 },
  seed: { type: 'int', help: 'corpus, crops, masks and (without --checkpoint) init', default: 0 },
  json: { type: 'string', help: 'also write the result as JSON', meta: 'PATH' },
};
const SYNOPSIS = 'node dist/loss-shares.js [options]';

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), SPEC);
  if (a.help) { console.log(usage(SYNOPSIS, SPEC)); return 0; }
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]}`);
  const log = (m: string) => console.error(m);
  const ckPath = get.str(a, 'checkpoint');
  if (ckPath && get.bool(a, 'no-aape')) throw new UsageError('--no-aape cannot change a checkpoint\'s model');
  const batch = get.num(a, 'batch'), seed = get.num(a, 'seed');
  if (batch < 1) throw new UsageError('--batch must be at least 1');
  const ck = ckPath ? await readCheckpoint(ckPath) : null;
  let cfg: AaspConfig = ck ? validateConfig(ck.meta.config as AaspConfig, `${ckPath} (config)`) : await loadConfig(get.str(a, 'config')!);
  const over: Partial<AaspConfig> = {};
  if (a.flags.lambda !== undefined) over.lambda = get.num(a, 'lambda');
  if (a.flags['recon-weight'] !== undefined) over.reconWeight = get.num(a, 'recon-weight');
  if (a.flags['decor-weight'] !== undefined) over.decorWeight = get.num(a, 'decor-weight');
  if (get.bool(a, 'no-aape')) over.aape = false;
  cfg = validateConfig({ ...cfg, ...over }, 'config with command-line overrides');
  const noRoom = shiftPairsProblem(cfg.shiftPairs, batch);
  if (noRoom) throw new UsageError(`config ${cfg.name}: ${noRoom} (--batch)`);

  await init();
  const student = new AaspStudent(cfg, new Rng(seed), makeEmbedder);
  freezeParameters(student, cfg); // the gradients pre-training would apply: none for frozen parameters
  const teacher = new Teacher(student, makeEmbedder);
  if (ck) {
    // Tensors the checkpoint lacks (a recon head turned on here) keep their init; the optimizer is not needed.
    const missing = writeCheckpointTensors(ck, [...student.namedParameters(), ...teacher.namedParameters()], ckPath!, true);
    if (missing.length) log(`${ckPath}: ${missing.length} tensors not in the checkpoint keep their init (${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', …' : ''})`);
  }
  const rng = new Rng(seed);
  const src = proceduralSource(seed, get.num(a, 'clip-seconds'), log, { workers: 0 });
  const stream = new DataStream(src, cpuLogMel(cfg.melMean, cfg.melStd, cfg.nMels), cfg.cropFrames, DataStream.startPosition(rng));
  const b = await trainingBatch(stream, batch, cfg, rng);
  await stream.close();
  const { Fp, Tp } = grid(cfg);
  const ms = drawMasks(rng, cfg.maskType, batch, cfg.masks, Fp, Tp, maskCounts(cfg).nMasked);
  const x = tensor(b.data, [batch, b.nMels, cfg.cropFrames]);
  const r = await lossShares(student, teacher, x, ms);

  const groups = GROUPS.filter((g) => r.total[g] > 0 || r.terms.some((t) => t.norms[g] > 0));
  const f = (v: number) => (v === 0 ? '—' : v.toPrecision(3));
  console.log(`gradient norm by loss term and module group (${cfg.name}, ${batch} clips, AaPE ${cfg.aape ? 'on' : 'off'}${ck ? `, ${ckPath}` : ', init'})`);
  console.log(['term', 'loss', 'weight', ...groups].join('\t'));
  for (const t of r.terms) console.log([t.term, t.loss.toFixed(4), String(t.weight), ...groups.map((g) => f(t.norms[g]))].join('\t'));
  console.log(['total', '', '', ...groups.map((g) => f(r.total[g]))].join('\t'));
  console.log(`‖gradient‖ over all parameters: ${r.total.all.toPrecision(4)}`);
  const out = get.str(a, 'json');
  if (out) {
    await writeFile(out, `${JSON.stringify({ config: cfg, checkpoint: ckPath ?? null, batch, seed, ...r }, null, 2)}\n`);
    console.log(`wrote ${out}`);
  }
  x.dispose();
  return 0;
}

runCli(main);
