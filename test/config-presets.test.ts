// The tiny-cpu preset: the tiny model with CPU-budget crops, loadable by name and as a JSON base.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, configFromObject, grid, loadConfig, validateConfig, type AaspConfig } from '../src/aasp/config';

describe('tiny-cpu preset', () => {
  it('is the tiny model with 192-frame crops (60 tokens) and a third of its learning rate, and valid', async () => {
    const c = await loadConfig('tiny-cpu');
    expect(c.name).toBe('tiny-cpu');
    expect(c.cropFrames).toBe(192);
    expect(grid(c).N).toBe(60);
    // A third of tiny's learning rate (docs/results.md runs L, M, N); everything else is tiny's.
    expect(c.baseLr).toBe(3e-4);
    expect(PRESETS.tiny.baseLr).toBe(1e-3);
    const { name: _a, cropFrames: _b, baseLr: _e, ...rest } = c;
    const { name: _c, cropFrames: _d, baseLr: _f, ...tiny } = PRESETS.tiny;
    expect(rest).toEqual(tiny);
    expect(() => validateConfig({ ...c })).not.toThrow();
  });
  it('can be the base of a JSON config', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'aasp-cfg-')), 'c.json');
    writeFileSync(f, JSON.stringify({ base: 'tiny-cpu', masks: 2 }));
    const c = await loadConfig(f);
    expect(c.cropFrames).toBe(192);
    expect(c.masks).toBe(2);
  });
  it('names the presets when the config is unknown', async () => {
    await expect(loadConfig('/nonexistent/x.json')).rejects.toThrow(/not a preset \(tiny, tiny-cpu, small, base\)/);
  });
});

describe('fields added after the spec', () => {
  it('read as the spec objective (0) in configs and checkpoints written before them', () => {
    for (const field of ['reconWeight', 'decorWeight', 'shiftPairs'] as const) {
      const old = { ...PRESETS.tiny } as Partial<AaspConfig>;
      delete old[field];
      expect(validateConfig(old as AaspConfig, 'older checkpoint')[field], field).toBe(0);
    }
    const old = { ...PRESETS.tiny } as Partial<AaspConfig>;
    delete old.frozen;
    delete old.lrScale;
    expect(validateConfig(old as AaspConfig, 'older checkpoint').frozen).toEqual([]);
    expect(validateConfig(old as AaspConfig, 'older checkpoint').lrScale).toEqual({});
  });

  it('lrScale maps parameter-name prefixes to positive factors', () => {
    expect(configFromObject({ base: 'tiny-cpu', lrScale: { 'blocks.0.': 3, 'patch_embed.': 0.5 } }, 'ls.json').lrScale).toEqual({ 'blocks.0.': 3, 'patch_embed.': 0.5 });
    expect(PRESETS['tiny-cpu'].lrScale).toEqual({});
    expect(() => configFromObject({ lrScale: ['blocks.0.'] }, 'ls.json')).toThrow('ls.json: "lrScale" must be an object of parameter-name prefixes and positive factors, got ["blocks.0."]');
    expect(() => configFromObject({ lrScale: { 'blocks.0.': 0 } }, 'ls.json')).toThrow('(entry "blocks.0.": 0)');
    expect(() => configFromObject({ lrScale: { 'blocks.0.': '3' } }, 'ls.json')).toThrow('(entry "blocks.0.": "3")');
    expect(() => configFromObject({ lrScale: { '': 2 } }, 'ls.json')).toThrow('(entry "": 2)');
  });

  it('frozen is a list of parameter-name prefixes', () => {
    expect(configFromObject({ base: 'tiny-cpu', frozen: ['patch_embed.'] }, 'fp.json').frozen).toEqual(['patch_embed.']);
    expect(() => configFromObject({ frozen: 'patch_embed.' }, 'fp.json')).toThrow('fp.json: "frozen" must be a list of non-empty strings, got "patch_embed."');
    expect(() => configFromObject({ frozen: [''] }, 'fp.json')).toThrow('"frozen" must be a list of non-empty strings');
  });
});
