/**
 * `node dist/proxy-bench.js` end to end at toy size (a D-32 one-block config, 5 clips per class, one
 * seed, one fold, a few epochs): it writes the proxy dataset, pre-trains AaPE on and off through
 * dist/pretrain.js, evaluates random init and pre-trained models with both probes, and writes the
 * table, results, report, loss and stability files; a second call with --checkpoints reuses the data
 * and names the columns by step; a third renders a toy instruments set with fluidsynth (skipped,
 * saying why, without it).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { instrumentsUnavailable } from '../src/data/procedural/instruments';
import { hasEspeak } from '../src/data/procedural/speech';
import { join } from 'node:path';
import { proxyCliFixture } from './helpers/proxy-cli';

const { dir, cfg, run } = proxyCliFixture('dist/proxy-bench.js', 'aasp-proxy-');
const COMMON = ['--tasks', 'pitch', '--per-class', '5', '--clip-seconds', '1', '--seeds', '0', '--folds', '1', '--epochs', '3', '--patience', '2', '--stability-clips', '2', '--config', cfg];

describe('proxy-bench CLI', () => {
  const out = join(dir, 'bench');
  it('pre-trains AaPE on and off and prints one table with random-init and pre-trained rows', { timeout: 900_000 }, () => {
    const r = run([...COMMON, '--steps', '1', '--batch', '2', '--pretrain-clip-seconds', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const head = r.stdout.split('\n').find((l) => l.startsWith('| task'))!;
    for (const model of ['random init, AaPE on', 'random init, AaPE off', 'pre-trained 1 steps, AaPE on', 'pre-trained 1 steps, AaPE off']) expect(head).toContain(`| ${model}`);
    expect(r.stdout).toMatch(/^\| pitch +\| EVAR +\| 8\.3 /m);
    expect(r.stdout).toMatch(/^\| pitch +\| ridge +\| 8\.3 /m);
    expect(r.stdout).toMatch(/pre-trained 1 steps, AaPE on vs random init/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.rows).toHaveLength(4);
    for (const row of res.rows) {
      for (const ci of [row.cells.pitch.ci, row.cells.pitch.ridge]) {
        expect(ci.mean).toBeGreaterThanOrEqual(0);
        expect(ci.mean).toBeLessThanOrEqual(1);
      }
      // No instruments set here: one stability set, the procedural clips.
      expect(row.stability.map((s: { set: string }) => s.set)).toEqual(['procedural clips']);
      const clips = row.stability[0].clips;
      expect(clips).toHaveLength(2);
      for (const c of clips) { expect(c).toBeGreaterThan(0); expect(c).toBeLessThanOrEqual(1 + 1e-6); }
    }
    // AaPE on against off, paired over the same clips, for both kinds of row.
    expect(r.stdout).toMatch(/^\| random init, AaPE on − random init, AaPE off +\| procedural clips \| [+-]0\.\d{5} ± 0\.\d{5} +\| 2 /m);
    expect(r.stdout).toMatch(/^\| pre-trained 1 steps, AaPE on − pre-trained 1 steps, AaPE off +\|/m);
    expect(res.settings.steps).toBe(1);
    for (const f of ['table.md', 'stability.svg', 'stability.csv', 'loss.svg', 'report.md']) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8').match(/<polyline/g)?.length).toBe(2);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('Command: `node dist/proxy-bench.js --tasks pitch');
    expect(report).toContain('![pre-training loss](loss.svg)');
    expect(report).toContain('95 % CI of the paired differences');
    expect(res.details[0].tasks.pitch.ridge.probe).toBe('ridge');
    // How many directions each model's features use, per task: in results.json, the table and the report.
    const pr = res.details[0].tasks.pitch.dimensionality;
    expect(pr.participation).toBeGreaterThanOrEqual(1);
    expect(pr.participation).toBeLessThanOrEqual(pr.dims);
    expect(res.rows[0].cells.pitch.participation).toBe(pr.participation);
    expect(report).toMatch(/^\| features: participation ratio \| random init, AaPE on/m);
  });

  it('--checkpoints evaluates given checkpoints (the EMA teacher with @teacher) and names their rows by step', { timeout: 900_000 }, () => {
    const ck = (aape: string) => join(out, `pretrain-toy-${aape}-s1-b2-c1-seed0`, 'checkpoints', 'step-000001.safetensors');
    const r = run([...COMMON, '--checkpoints', `${ck('aape')}@teacher,${ck('noaape')}`, '--out', out, '--docs', join(dir, 'docs')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('| pre-trained 1 steps (teacher), AaPE on');
    expect(r.stdout).toContain('pre-trained 1 steps (teacher), AaPE on vs random init');
    expect(r.stdout).toContain('| pre-trained 1 steps, AaPE off');
    expect(existsSync(join(dir, 'docs', 'results', 'bench-report.md'))).toBe(true);
    expect(existsSync(join(dir, 'docs', 'results', 'stability.svg'))).toBe(true);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(res.settings.checkpoints).toEqual([`${ck('aape')}@teacher`, ck('noaape')]);
    expect(res.details.find((d: { model: string }) => d.model.includes('(teacher)')).description).toContain('(teacher,');
    expect(res.settings.steps).toBeUndefined();
    expect(r.stderr).not.toMatch(/writing proxy dataset/); // the data of the first call is reused
  });

  it('--pool mean+std doubles the clip features (mean, then std over time) and is recorded; an unknown pooling exits 2', { timeout: 900_000 }, () => {
    const o = join(dir, 'pool');
    const r = run([...COMMON, '--steps', '0', '--models', 'random-off', '--pool', 'mean+std', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res.settings.pool).toBe('mean+std');
    expect(res.details[0].tasks.pitch.dim).toBe(2 * 5 * 32); // 2 · F'·D for the toy config
    const bad = run([...COMMON, '--steps', '0', '--pool', 'max', '--out', o]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--pool: unknown value max \(known: mean, mean\+std\)/);
    for (const [args, msg] of [[['--pretrain-speech-share', '1.5'], 'error: --pretrain-speech-share must be in [0, 1], got 1.5'],
      [['--pretrain-speech-share', '0.3', '--pretrain-data', o], 'error: --pretrain-speech-share shapes the procedural corpus, not --pretrain-data'],
      [['--pretrain-instrument-share', '0'], 'error: --pretrain-instrument-share must be in (0, 1], got 0'],
      [['--pretrain-instrument-share', '0.3', '--pretrain-data', o], 'error: --pretrain-instrument-share shapes the procedural corpus, not --pretrain-data']]) {
      const r2 = run([...COMMON, '--steps', '1', ...args, '--out', o]);
      expect(r2.code).toBe(2);
      expect(r2.stderr.trim()).toBe(`${msg} (see --help)`);
    }
    const none = run([...COMMON, '--steps', '0', '--stability-notes', '0', '--out', o]);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('error: --stability-clips and --stability-notes must be at least 1 (see --help)');
  });

  it('--layer evaluates the encoder cut after a block, keeps its features apart in the cache and is recorded; a layer past the depth exits 2 before pre-training', { timeout: 900_000 }, () => {
    const o = join(dir, 'layer');
    const whole = run([...COMMON, '--steps', '0', '--models', 'random-off', '--out', o]);
    expect(whole.code, whole.stderr).toBe(0);
    const r = run([...COMMON, '--steps', '0', '--models', 'random-off', '--layer', '0', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cut after block 0');
    expect(r.stderr).not.toContain('cache hit'); // the whole encoder's cached features are not reused
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res.settings.layer).toBe(0);
    expect(readFileSync(join(o, 'report.md'), 'utf8')).toContain("every model's encoder cut after block 0");
    const again = run([...COMMON, '--steps', '0', '--models', 'random-off', '--layer', '0', '--out', o]);
    expect(again.stderr).toContain('cache hit');
    // Blocks 0 and 1 side by side: twice the width, probes and report on both.
    const both = run([...COMMON, '--steps', '0', '--models', 'random-off', '--layer', '0,1', '--out', o]);
    expect(both.code, both.stderr).toBe(0);
    const res2 = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res2.settings.layer).toEqual([0, 1]);
    expect(res2.details[0].tasks.pitch.dim).toBe(2 * 5 * 32);
    expect(readFileSync(join(o, 'report.md'), 'utf8')).toContain("every model's encoder cut after blocks 0 and 1 side by side");
    const chosen = run([...COMMON, '--steps', '0', '--models', 'random-off', '--layer', '0,1', '--choose-blocks', '--out', o]);
    expect(chosen.code, chosen.stderr).toBe(0);
    const res3 = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res3.settings.chooseBlocks).toBe(true);
    expect(res3.details[0].tasks.pitch.ridge.seeds[0].splits[0].blocks).toBeDefined();
    expect(readFileSync(join(o, 'report.md'), 'utf8')).toContain('The ridge probe chooses on validation which of the blocks to read');
    const deep = run([...COMMON, '--steps', '1', '--layer', '2', '--out', o]);
    expect(deep.code).toBe(2);
    expect(deep.stderr.trim()).toBe(`error: --layer 2 is outside 0..1 (${cfg} has 1 block; 0 is the token embedding) (see --help)`);
  });

  it.skipIf(!hasEspeak())('--pretrain-speech-share reaches the pre-training corpus and names its run and results', { timeout: 900_000 }, () => {
    const o = join(dir, 'speech');
    const r = run([...COMMON, '--steps', '1', '--batch', '2', '--pretrain-clip-seconds', '1', '--pretrain-speech-share', '1', '--models', 'pretrained-off', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    const runDir = join(o, 'pretrain-toy-noaape-s1-b2-c1-seed0---speech-share_1');
    const runJson = () => JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    expect(runJson().run.speechShare).toBe(1);
    expect(runJson().data).toContain('speech share 1');
    // Extending the run by a step resumes with the checkpoint's share, not the default draw.
    const more = spawnSync('node', ['dist/pretrain.js', '--out', runDir, '--resume', '--steps', '2'], { encoding: 'utf8', timeout: 600_000 });
    expect(more.status, more.stderr).toBe(0);
    expect(runJson().run).toMatchObject({ speechShare: 1, totalSteps: 2 });
    expect(runJson().data).toContain('speech share 1');
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res.settings.pretrainData).toBe('procedural corpus, speech share 1');
  });

  const why = instrumentsUnavailable();
  it.skipIf(why !== null)(`renders the instruments set and evaluates family and pitch on unseen instruments${why ? ` — skipped: ${why}` : ''}`, { timeout: 900_000 }, () => {
    const o = join(dir, 'inst');
    const r = run(['--tasks', 'instruments,instrument-pitch', '--instrument-notes', '3', '--instrument-programs', '2', '--steps', '0', '--seeds', '0', '--models', 'random-on,logmel',
      '--epochs', '3', '--patience', '2', '--stability-clips', '2', '--stability-notes', '3', '--config', cfg, '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\| instruments +\| EVAR +\| 8\.3 /m);
    expect(r.stdout).toMatch(/^\| instrument-pitch +\| ridge +\| 8\.3 /m);
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res.rows.map((x: { model: string }) => x.model)).toEqual(['random init, AaPE on', 'log-mel statistics (no encoder)']);
    expect(res.details[1].tasks.instruments.dim).toBe(2 * 80 + 4 * 48);
    const inst = res.details[0].tasks.instruments;
    expect(inst.layout).toBe('nsynth');
    expect(inst.classes).toHaveLength(12);
    // Grouped 5-fold cross-validation over the 24 instruments (each tested once, never trained on in
    // its fold): the folds' test sets add up to every note.
    const nTests = inst.seeds[0].splits.map((sp: { nTest: number }) => sp.nTest);
    expect(nTests).toHaveLength(5);
    expect(nTests.reduce((x: number, y: number) => x + y, 0)).toBe(inst.nItems);
    expect(inst.nItems).toBeGreaterThan(60);
    expect(res.details[0].tasks['instrument-pitch'].ridge.seeds[0].splits.map((sp: { nTest: number }) => sp.nTest)).toEqual(nTests);
    expect(res.settings.instrumentFolds).toBe(5);
    // With the instruments set rendered, stability is also measured on recorded notes of the test split.
    expect(res.rows[0].stability.map((s: { set: string; clips: number[] }) => [s.set, s.clips.length])).toEqual([['procedural clips', 2], ['recorded notes', 3]]);
    expect(res.rows[1].stability).toBeUndefined();
    expect(r.stdout).toMatch(/^\| stability, recorded notes \(mean cos, s=1\.\.15\) .*\| 0\.\d{5} ± 0\.\d{5} +\| — +\|$/m);
    expect(existsSync(join(o, 'stability-recorded.svg'))).toBe(true);
    expect(readFileSync(join(o, 'report.md'), 'utf8')).toContain('![aliasing stability, recorded notes](stability-recorded.svg)');
  });

  it.skipIf(why !== null)(`--pretrain-instrument-share mixes the rendered train instruments (never the test split) into the pre-training corpus${why ? ` — skipped: ${why}` : ''}`, { timeout: 900_000 }, () => {
    const o = join(dir, 'inst-mix');
    const r = run([...COMMON, '--instrument-notes', '3', '--instrument-programs', '2', '--steps', '1', '--batch', '2', '--pretrain-clip-seconds', '1',
      '--pretrain-instrument-share', '0.5', '--models', 'pretrained-off', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    const runs = readdirSync(o).filter((f) => f.startsWith('pretrain-'));
    expect(runs).toHaveLength(1);
    const run0 = JSON.parse(readFileSync(join(o, runs[0], 'run.json'), 'utf8'));
    const instDir = join(o, 'data', 'instruments-n3-p2-seed0');
    expect(run0.run).toMatchObject({ mixData: join(instDir, 'nsynth-train'), mixShare: 0.5 });
    expect(run0.data).toContain(`with a share 0.5 of its clips from the nsynth dataset at ${join(instDir, 'nsynth-train')}`);
    const res = JSON.parse(readFileSync(join(o, 'results.json'), 'utf8'));
    expect(res.settings.pretrainData).toBe('procedural corpus, a share 0.5 from the rendered train instruments');
  });
});
