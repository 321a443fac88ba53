/**
 * `node dist/proxy-seeds.js` end to end at toy size: two pre-training seeds of a D-32 one-block
 * config, one task, one evaluation seed. It runs proxy-bench once per seed with shared data, combines
 * the runs into intervals over seeds and gains paired by seed, reuses finished seeds on a second
 * call, refuses options that would mix two benchmarks in one folder, with --also combines the
 * AaPE-off runs of a second folder into the same report, and with --versus pairs a second recipe
 * (here 2 pre-training steps against 1) with the first by seed.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { proxyCliFixture } from './helpers/proxy-cli';

const { dir, cfg, run } = proxyCliFixture('dist/proxy-seeds.js', 'aasp-seeds-');
const BENCH = ['--tasks', 'pitch', '--per-class', '5', '--clip-seconds', '1', '--seeds', '0', '--folds', '1', '--epochs', '3', '--patience', '2',
  '--stability-clips', '2', '--config', cfg, '--steps', '1', '--batch', '2', '--pretrain-clip-seconds', '1', '--models', 'random-on,pretrained-on'];

describe('proxy-seeds CLI', () => {
  const out = join(dir, 'seeds');
  it('runs proxy-bench per seed on shared data and combines them over seeds and paired by seed', { timeout: 900_000 }, () => {
    const r = run(['--pretrain-seeds', '0,1', '--out', out, '--docs', join(dir, 'docs'), '--', ...BENCH]);
    expect(r.code, r.stderr).toBe(0);
    // One data set, written once, beside the two seeds' runs (each with its own pre-training).
    expect(readdirSync(join(out, 'data'))).toEqual(['pitch-pc5-1s-seed0']);
    for (const s of [0, 1]) {
      expect(existsSync(join(out, `seed-${s}`, 'data'))).toBe(false);
      expect(readdirSync(join(out, `seed-${s}`)).filter((f) => f.startsWith('pretrain-'))).toEqual([`pretrain-toy-aape-s1-b2-c1-seed${s}`]);
      expect(JSON.parse(readFileSync(join(out, `seed-${s}`, 'results.json'), 'utf8')).settings.seed).toBe(s);
    }
    expect(r.stderr.match(/writing proxy dataset pitch/g)).toHaveLength(1);
    // The random inits of the two seeds differ, so the combined row has a spread over seeds.
    const per = [0, 1].map((s) => JSON.parse(readFileSync(join(out, `seed-${s}`, 'results.json'), 'utf8')).rows[0].stability[0].clips[0]);
    expect(per[0]).not.toBe(per[1]);
    const res = JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8'));
    expect(res.seeds).toEqual([0, 1]);
    expect(res.rows.map((x: { model: string }) => x.model)).toEqual(['random init, AaPE on', 'pre-trained 1 steps, AaPE on']);
    const ridge = res.rows[0].cells.pitch.ridge;
    const means = [0, 1].map((s) => JSON.parse(readFileSync(join(out, `seed-${s}`, 'results.json'), 'utf8')).rows[0].cells.pitch.ridge.mean);
    expect(ridge.n).toBe(2);
    expect(ridge.mean).toBeCloseTo((means[0] + means[1]) / 2, 12);
    expect(r.stdout).toMatch(/^\| pitch +\| ridge +\| 8\.3 +\| \d+\.\d ± \d+\.\d +\| \d+\.\d ± \d+\.\d +\|$/m);
    expect(r.stdout).toMatch(/^\| pre-trained 1 steps, AaPE on − random init, AaPE on \| pitch +\| ridge +\| [+-]\d+\.\d ± \d+\.\d +\| [+-]\d+\.\d, [+-]\d+\.\d +\|/m);
    const report = readFileSync(join(out, 'seeds-report.md'), 'utf8');
    expect(report).toContain('Command: `node dist/proxy-seeds.js --pretrain-seeds 0,1');
    expect(report).toContain('over 2 pre-training seeds (0, 1)');
    expect(report).toMatch(/^Time: seed 0 \d+\.\d min, seed 1 \d+\.\d min \(each proxy-bench run/m);
    expect(report).toContain('![pre-training loss per seed](seeds-loss.svg)');
    expect(readFileSync(join(out, 'seeds-loss.svg'), 'utf8').match(/<polyline/g)?.length).toBe(2);
    expect(existsSync(join(dir, 'docs', 'results', 'seeds-report.md'))).toBe(true);
    expect(existsSync(join(dir, 'docs', 'results', 'seeds-loss.svg'))).toBe(true);
    for (const p of ['ridge', 'evar']) expect(existsSync(join(dir, 'docs', 'results', `seeds-gains-${p}.svg`))).toBe(true);
  });

  it('reuses finished seeds, runs only a new one, and refuses other options in the same folder', { timeout: 900_000 }, () => {
    const again = run(['--pretrain-seeds', '0,1', '--out', out, '--', ...BENCH]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('seed 0 (1/2): reusing');
    expect(again.stderr).toContain('seed 1 (2/2): reusing');
    expect(again.stderr).not.toMatch(/pre-training \(AaPE/);
    // The same options in another order, one of them written --flag=value, are the same benchmark.
    const reordered = [...BENCH.slice(-2), ...BENCH.slice(0, -2)].map((x, i, all) => (all[i - 1] === '--steps' ? null : x === '--steps' ? '--steps=1' : x)).filter((x): x is string => x !== null);
    expect(reordered).not.toEqual(BENCH);
    const same = run(['--pretrain-seeds', '0,1', '--out', out, '--', ...reordered]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stderr).toContain('seed 1 (2/2): reusing');
    const more = run(['--pretrain-seeds', '0,1,2', '--out', out, '--', ...BENCH]);
    expect(more.code, more.stderr).toBe(0);
    expect(more.stderr).toContain('seed 1 (2/3): reusing');
    expect(more.stderr).toMatch(/seed 2 \(3\/3\): node .*--seed 2 /);
    expect(more.stderr).not.toMatch(/writing proxy dataset/);
    expect(JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8')).rows[0].cells.pitch.ridge.n).toBe(3);
    // --name gives a second report its own files, here and in --docs, and leaves the first one alone.
    const firstReport = readFileSync(join(dir, 'docs', 'results', 'seeds-report.md'), 'utf8');
    const named = run(['--pretrain-seeds', '0,1', '--out', out, '--name', 'recipe-b', '--docs', join(dir, 'docs'), '--', ...BENCH]);
    expect(named.code, named.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'recipe-b.json'), 'utf8')).seeds).toEqual([0, 1]);
    expect(JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8')).rows[0].cells.pitch.ridge.n).toBe(3); // the default name's results stay
    for (const f of ['recipe-b-report.md', 'recipe-b-loss.svg', 'recipe-b-gains-ridge.svg', 'recipe-b-gains-evar.svg']) {
      expect(existsSync(join(out, f))).toBe(true);
      expect(existsSync(join(dir, 'docs', 'results', f))).toBe(true);
    }
    const namedReport = readFileSync(join(dir, 'docs', 'results', 'recipe-b-report.md'), 'utf8');
    expect(namedReport).toContain('![pre-training loss per seed](recipe-b-loss.svg)');
    expect(namedReport).toContain('](recipe-b-gains-ridge.svg)');
    expect(readFileSync(join(dir, 'docs', 'results', 'seeds-report.md'), 'utf8')).toBe(firstReport);
    expect(named.stdout).toContain(`results in ${join(out, 'recipe-b-report.md')}`);
    const badName = run(['--out', out, '--name', '../x', '--', ...BENCH]);
    expect(badName.code).toBe(2);
    expect(badName.stderr.trim()).toBe('error: --name ../x: use letters, digits, - and _ (it names files) (see --help)');
    const other = run(['--pretrain-seeds', '0,1', '--out', out, '--', ...BENCH.map((x) => (x === '--epochs' ? '--patience' : x))]);
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/holds runs made with other proxy-bench options .*; use another --out/);
    for (const own of ['--seed', '--out', '--data-dir']) {
      const bad = run(['--out', join(dir, 'x'), '--', ...BENCH, own, '3']);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe(`error: ${own} after --: proxy-seeds sets it for each seed (see --help)`);
    }
    expect(run(['--out', join(dir, 'x'), '--', ...BENCH, '--checkpoints', 'a.safetensors']).stderr.trim()).toBe('error: --checkpoints after --: proxy-seeds pre-trains each seed itself (evaluate given checkpoints with proxy-bench) (see --help)');
    expect(run(['--pretrain-seeds', '1,1', '--out', join(dir, 'y')]).stderr.trim()).toBe('error: --pretrain-seeds lists a seed twice (see --help)');
  });

  it('--also combines the AaPE-off rows of another folder, paired with AaPE on by seed', { timeout: 900_000 }, () => {
    const off = join(dir, 'seeds-off');
    const OFF = BENCH.map((x) => (x === 'random-on,pretrained-on' ? 'random-off,pretrained-off' : x));
    expect(run(['--pretrain-seeds', '0,1', '--out', off, '--', ...OFF]).code).toBe(0);
    const r = run(['--pretrain-seeds', '0,1', '--out', out, '--also', off, '--', ...BENCH]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(readFileSync(join(out, 'seeds.json'), 'utf8'));
    expect(res.rows.map((x: { model: string }) => x.model)).toEqual(['random init, AaPE on', 'random init, AaPE off', 'pre-trained 1 steps, AaPE on', 'pre-trained 1 steps, AaPE off']);
    // The AaPE-off row over seeds is the mean of the other folder's two runs.
    const means = [0, 1].map((s) => JSON.parse(readFileSync(join(off, `seed-${s}`, 'results.json'), 'utf8')).rows[1].cells.pitch.ridge.mean);
    expect(res.rows[3].cells.pitch.ridge.mean).toBeCloseTo((means[0] + means[1]) / 2, 12);
    expect(r.stdout).toMatch(/^\| pre-trained 1 steps, AaPE on − pre-trained 1 steps, AaPE off \| pitch +\| ridge +\| [+-]\d+\.\d ± \d+\.\d +\| [+-]\d+\.\d, [+-]\d+\.\d +\|/m);
    expect(r.stdout).toMatch(/^\| pre-trained 1 steps, AaPE off − random init, AaPE off +\| pitch +\| EVAR +\|/m);
    expect(r.stdout).toMatch(/^\| pre-trained 1 steps, AaPE on − pre-trained 1 steps, AaPE off \| procedural clips \| [+-]0\.\d{5} ± 0\.\d{5} +\| [+-]0\.\d{5}, [+-]0\.\d{5} +\|/m);
    const report = readFileSync(join(out, 'seeds-report.md'), 'utf8');
    expect(report).toMatch(new RegExp(`^Time: seed 0 \\d+\\.\\d min \\+ \\d+\\.\\d min, seed 1 \\d+\\.\\d min \\+ \\d+\\.\\d min \\(.*; the second number is the run in ${off}\\)`, 'm'));
    expect(res.also).toBe(off);
    expect(report).toContain('Stability paired by seed');
    const loss = readFileSync(join(out, 'seeds-loss.svg'), 'utf8');
    expect(loss.match(/<polyline/g)?.length).toBe(4);
    expect(loss.match(/<polyline [^>]*stroke-dasharray/g)?.length).toBe(2); // the AaPE-off runs
    expect(report).toContain('![ridge probe: differences paired by seed](seeds-gains-ridge.svg)');
    expect(readFileSync(join(out, 'seeds-gains-ridge.svg'), 'utf8')).toContain('pre-trained 1 steps, AaPE on − pre-trained 1 steps, AaPE off');
    const bad = run(['--pretrain-seeds', '0,1,2', '--out', out, '--also', off, '--', ...BENCH]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`error: --also ${off}: ${join(off, 'seed-2', 'results.json')} is missing (run proxy-seeds there with seed 2 first) (see --help)`);
    const other = run(['--pretrain-seeds', '0,1', '--out', join(dir, 'seeds-b'), '--also', off, '--', ...BENCH.map((x) => (x === '--epochs' ? '--patience' : x))]);
    expect(other.code).toBe(2);
    expect(other.stderr.trim().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/--also .*: made with other proxy-bench options .*; only --models may differ/);
    expect(run(['--pretrain-seeds', '0,1', '--out', out, '--also', join(dir, 'nowhere'), '--', ...BENCH]).stderr.trim()).toBe(`error: --also ${join(dir, 'nowhere')}: no args.json there (not a proxy-seeds folder) (see --help)`);
  });

  it('--versus pairs this recipe with another one by seed, from its folder or from the JSON it wrote', { timeout: 900_000 }, () => {
    const two = join(dir, 'seeds-two'), docs = join(dir, 'docs-two');
    const TWO = BENCH.map((x, i) => (BENCH[i - 1] === '--steps' ? '2' : x));
    const r = run(['--pretrain-seeds', '0,1', '--out', two, '--name', 'two', '--versus', out, '--docs', docs, '--', ...TWO]);
    expect(r.code, r.stderr).toBe(0);
    const line = /^\| two: pre-trained 2 steps, AaPE on − seeds: pre-trained 1 steps, AaPE on \| pitch +\| ridge +\| [+-]\d+\.\d ± \d+\.\d +\| ([+-]\d+\.\d), ([+-]\d+\.\d) +\|/m;
    expect(r.stdout).toMatch(line);
    // The per-seed differences are the two folders' own pre-trained means, seed by seed.
    const ridge = (f: string, s: number) => JSON.parse(readFileSync(join(f, `seed-${s}`, 'results.json'), 'utf8')).rows[1].cells.pitch.ridge.mean;
    const per = line.exec(r.stdout)!.slice(1).map(Number);
    for (const s of [0, 1]) expect(per[s]).toBeCloseTo(100 * (ridge(two, s) - ridge(out, s)), 1);
    const res = JSON.parse(readFileSync(join(two, 'two.json'), 'utf8'));
    expect(res.name).toBe('two');
    expect(res.runs.map((x: { seed: number }) => x.seed)).toEqual([0, 1]);
    expect(res.versus.name).toBe('seeds');
    expect(res.versus.stability[0].set).toBe('procedural clips');
    const report = readFileSync(join(two, 'two-report.md'), 'utf8');
    expect(report).toContain(`Against the recipe seeds (${out}), paired by seed: two(s) − seeds(s).`);
    expect(report).toContain('![ridge probe: two − seeds paired by seed](two-vs-seeds-ridge.svg)');
    for (const f of ['two.json', 'two-vs-seeds-ridge.svg', 'two-vs-seeds-evar.svg']) expect(existsSync(join(docs, 'results', f))).toBe(true);
    // The JSON in docs is enough to pair with later: the same table as from the folder.
    const fromJson = run(['--pretrain-seeds', '0,1', '--out', out, '--name', 'again', '--versus', join(docs, 'results', 'two.json'), '--', ...BENCH]);
    expect(fromJson.code, fromJson.stderr).toBe(0);
    expect(fromJson.stdout).toMatch(/^\| again: pre-trained 1 steps, AaPE on − two: pre-trained 2 steps, AaPE on \| pitch +\| ridge +\|/m);
    const back = /^\| again: pre-trained 1 steps, AaPE on − two: pre-trained 2 steps, AaPE on \| pitch +\| ridge +\| [+-]\d+\.\d ± \d+\.\d +\| ([+-]\d+\.\d), ([+-]\d+\.\d)/m.exec(fromJson.stdout)!.slice(1).map(Number);
    expect(back.map((x) => +(-x).toFixed(1))).toEqual(per.map((x) => +x.toFixed(1)));
    // Refusals: a seed the other recipe lacks (before any run), the same name, another benchmark.
    const noSeed = run(['--pretrain-seeds', '0,1,2', '--out', two, '--name', 'two', '--versus', join(dir, 'seeds-off'), '--', ...TWO]);
    expect(noSeed.code).toBe(2);
    expect(noSeed.stderr.trim()).toBe(`error: --versus ${join(dir, 'seeds-off')}: ${join(dir, 'seeds-off', 'seed-2', 'results.json')} is missing (run proxy-seeds there with seed 2 first) (see --help)`);
    const same = run(['--pretrain-seeds', '0,1', '--out', two, '--name', 'two', '--versus', join(docs, 'results', 'two.json'), '--', ...TWO]);
    expect(same.code).toBe(2);
    expect(same.stderr.trim()).toBe(`error: --versus ${join(docs, 'results', 'two.json')}: that recipe is also called two; give this one another --name (see --help)`);
    writeFileSync(join(dir, 'broken.json'), '{"name": "x", ');
    const broken = run(['--pretrain-seeds', '0,1', '--out', two, '--name', 'two', '--versus', join(dir, 'broken.json'), '--', ...TWO]);
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim()).toMatch(new RegExp(`^error: --versus ${join(dir, 'broken.json')}: not readable as JSON \\(.+\\) \\(see --help\\)$`));
    const offInit = run(['--pretrain-seeds', '0,1', '--out', two, '--name', 'two', '--versus', join(dir, 'seeds-off'), '--', ...TWO]);
    expect(offInit.code).not.toBe(0);
    expect(offInit.stderr.trim().split('\n').at(-1)).toBe('error: seeds-off has no "random init, AaPE on" row, so nothing shows that it shares two\'s data and init');
  });
});
