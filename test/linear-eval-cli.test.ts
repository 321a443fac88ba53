/**
 * `node dist/linear-eval.js` end to end on a toy procedural data set (ESC-50 layout, 5 clips per
 * class, one fold, one seed, a few epochs) with the D-32 one-block config: both probes print, the
 * JSON names the evaluated layer, `--layer 0` embeds with the encoder cut before its block (other
 * features, kept apart in the cache), `--layer 0,1` reads both side by side (twice the width), and a
 * layer past the depth or blocks out of order are one line with exit 2.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeProxyDataset } from '../src/data/procedural/proxy-writer';
import { proxyCliFixture } from './helpers/proxy-cli';

const { dir, cfg, run } = proxyCliFixture('dist/linear-eval.js', 'aasp-linear-eval-');
const data = join(dir, 'pitch');
const COMMON = ['--config', cfg, '--seeds', '0', '--folds', '1', '--epochs', '3', '--patience', '2', '--cache-dir', join(dir, 'cache')];

describe('linear-eval CLI', () => {
  it('prints both probes, records the layer, cuts the encoder with --layer and refuses a layer past the depth', { timeout: 300_000 }, async () => {
    await writeProxyDataset({ outDir: data, task: 'pitch', perClass: 5, seed: 0, durationSec: 1 });
    const whole = run([...COMMON, '--json', join(dir, 'whole.json'), data]);
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(/test accuracy [\d.]+ % .*12 classes, 60 clips, 160-d features\)/);
    expect(whole.stdout).toContain('ridge probe');
    const cut = run([...COMMON, '--layer', '0', '--json', join(dir, 'cut.json'), data]);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toContain('cut after block 0');
    expect(cut.stdout).not.toContain('cached'); // the whole encoder's features are not reused
    const [w, c] = ['whole', 'cut'].map((n) => JSON.parse(readFileSync(join(dir, `${n}.json`), 'utf8')));
    expect([w.layer, c.layer]).toEqual([1, 0]);
    expect(c.results[0].dimensionality.participation).not.toBe(w.results[0].dimensionality.participation);
    // Blocks 0 and 1 side by side: twice the width, their own cache entry, recorded as a list.
    const both = run([...COMMON, '--layer', '0,1', '--json', join(dir, 'both.json'), data]);
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).toContain('cut after blocks 0 and 1 side by side');
    expect(both.stdout).toMatch(/320-d features\)/);
    expect(both.stdout).not.toContain('cached');
    expect(JSON.parse(readFileSync(join(dir, 'both.json'), 'utf8')).layer).toEqual([0, 1]);
    // The ridge probe choosing among them: cached features, the choice per split in the JSON.
    const chosen = run([...COMMON, '--layer', '0,1', '--choose-blocks', '--verbose', '--json', join(dir, 'chosen.json'), data]);
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(chosen.stdout).toContain('λ and blocks chosen on validation');
    expect(chosen.stdout).toContain('cached');
    const splits = JSON.parse(readFileSync(join(dir, 'chosen.json'), 'utf8')).results[0].ridge.seeds[0].splits;
    expect(splits.every((x: { blocks?: number[] }) => ['[0]', '[1]', '[0,1]'].includes(JSON.stringify(x.blocks)))).toBe(true);
    const alone = run([...COMMON, '--layer', '1', '--choose-blocks', data]);
    expect(alone.code).toBe(2);
    expect(alone.stderr.trim()).toBe('error: --choose-blocks needs several --layer blocks (e.g. --layer 1,4) (see --help)');
    const unordered = run([...COMMON, '--layer', '1,0', data]);
    expect(unordered.code).toBe(2);
    expect(unordered.stderr.trim()).toBe('error: --layer 1,0: name at least one block, in ascending order, each once (see --help)');
    const deep = run([...COMMON, '--layer', '2', data]);
    expect(deep.code).toBe(2);
    expect(deep.stderr.trim()).toBe(`error: --layer 2 is outside 0..1 (${cfg} has 1 block; 0 is the token embedding) (see --help)`);
  });
});
