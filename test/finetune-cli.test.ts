/**
 * `node dist/finetune.js --save` end to end on a toy procedural data set with the D-32 one-block
 * config: the saved file holds the best weights (its encoder and head, reloaded here, score the
 * test fold exactly as the CLI reported), the encoder loads through --checkpoint like a pre-trained
 * one, the JSON does not carry the head, and a --save folder that does not exist is one line with
 * exit 2 before any training.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGpu } from './helpers/gpu';
import { proxyCliFixture } from './helpers/proxy-cli';
import { writeProxyDataset } from '../src/data/procedural/proxy-writer';
import { listEvalDataset } from '../src/eval/dataset';
import { makeSplits } from '../src/eval/folds';
import { loadLogMels } from '../src/eval/extract';
import { frontEndOf, loadModel, tokenEncoder } from '../src/eval/model';
import { evaluateClips } from '../src/eval/finetune';
import { readSafetensors } from '../src/io/safetensors';
import { Linear } from '../src/nn';
import { Rng } from '../src/util/rng';

useGpu();
const { dir, cfg, run } = proxyCliFixture('dist/finetune.js', 'aasp-finetune-cli-');
const data = join(dir, 'pitch');

describe('finetune CLI --save', () => {
  it('saves the best encoder and head, which reload to the reported test score', { timeout: 300_000 }, async () => {
    await writeProxyDataset({ outDir: data, task: 'pitch', perClass: 5, seed: 0, durationSec: 1 });
    const saved = join(dir, 'tuned.safetensors');
    const r = run(['--config', cfg, '--epochs', '3', '--lr', '3e-3', '--save', saved, '--json', join(dir, 'r.json'), data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`saved the fine-tuned encoder and head to ${saved}`);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    expect(json.head).toBeUndefined();
    const file = await readSafetensors(saved);
    expect(file.metadata.format).toBe('aasp-finetuned-1');
    expect(Number(file.metadata.test)).toBe(json.test);
    const classes: string[] = JSON.parse(file.metadata.classes);
    expect(classes.length).toBe(12);
    expect(file.tensors.get('head.weight')!.shape).toEqual([12, 32]);
    expect(file.tensors.get('head.bias')!.data.some((v) => v !== 0)).toBe(true); // trained from zeros

    // The encoder loads as --checkpoint does, and with the saved head scores the CLI's test fold as reported.
    const model = await loadModel({ checkpoint: saved });
    expect(model.description).toBe(`${saved} (fine-tuned encoder, AaPE ${model.cfg.aape ? 'on' : 'off'})`);
    const random = await loadModel({ config: cfg, seed: 0 });
    const start = await Promise.all(random.encoder.namedParameters().map(([, t]) => t.toFloat32()));
    const moved = random.encoder.namedParameters().filter(([n], i) => file.tensors.get(n)!.data.some((v, j) => v !== start[i][j]));
    expect(moved.length).toBeGreaterThan(0); // fine-tuning changed the init it started from
    const ds = listEvalDataset(data);
    const items = ds.items.filter((i) => i.label !== undefined);
    const test = makeSplits(items, { seed: 0 })[0].test;
    const { mels } = await loadLogMels(test.map((i) => items[i].path), frontEndOf(model.cfg), () => {});
    const head = new Linear(32, 12, new Rng(0));
    head.p('weight').storage.rt.write(head.p('weight').buffer, file.tensors.get('head.weight')!.data as Float32Array);
    head.p('bias').storage.rt.write(head.p('bias').buffer, file.tensors.get('head.bias')!.data as Float32Array);
    const index = new Map(classes.map((c, k) => [c, k]));
    const score = await evaluateClips(tokenEncoder(model.encoder), head, test.map((i, k) => ({ mel: mels[k], label: index.get(items[i].label!)! })), { nClasses: 12 });
    expect(score).toBe(json.test);
    head.dispose(); model.encoder.dispose(); random.encoder.dispose();

    // A --save folder that does not exist fails before training.
    const nowhere = join(dir, 'no-such-folder', 'x.safetensors');
    const bad = run(['--config', cfg, '--save', nowhere, data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`error: --save ${nowhere}: folder ${join(dir, 'no-such-folder')} does not exist (see --help)`);
  });
});
