/**
 * docs/results.md opens with the answer so far: per task the preset's random init and its gains
 * paired by seed. Those numbers are the four-seed report's (docs/results/seeds-report.md); this
 * checks each cell against it, so regenerating the report without the summary fails here.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
const plain = (s: string) => s.replace(/\*/g, '').replace(/−/g, '-');
/** The table rows of the preset's four-seed report, as cells. */
const report = readFileSync('docs/results/seeds-report.md', 'utf8').split('\n').filter((l) => l.startsWith('|')).map(cells);
const PAIR = 'pre-trained 1000 steps, AaPE on − random init, AaPE on';

describe('docs/results.md: the answer so far', () => {
  it('gives the four-seed report\'s random init and paired gains for every task', () => {
    const doc = readFileSync('docs/results.md', 'utf8');
    const section = doc.slice(doc.indexOf('## The answer so far'), doc.indexOf('## How to reproduce'));
    const rows = section.split('\n').filter((l) => /^\| [a-z-]+[ ,]/.test(l) && / \(\d+\.\d\) \|/.test(l)).map(cells);
    expect(rows).toHaveLength(8);
    for (const [name, random, ridge, evar] of rows) {
      const task = name.replace(/ \(.*$/, '').replace(/,.*$/, '');
      const rand = report.find((c) => c[0] === task && c[1] === 'ridge')!;
      expect(rand, task).toBeDefined();
      expect(random, task).toBe(rand[3]); // random init, AaPE on
      for (const [probe, cell] of [['ridge', ridge], ['EVAR', evar]]) {
        const g = report.find((c) => c[0] === PAIR && c[1] === task && c[2] === probe)!;
        expect(plain(cell), `${task} ${probe}`).toBe(g[3]);
      }
    }
  });
});

type Run = { seed: number; rows: { model: string; cells: Record<string, Record<'ci' | 'ridge', { mean: number }>> }[] };
/** Per-seed gains (pre-trained − random init, points) of a proxy-seeds JSON, for seeds 0 .. last. */
const gainsOf = (path: string, last = 1) => {
  const runs = (JSON.parse(readFileSync(path, 'utf8')) as { runs: Run[] }).runs.filter((r) => r.seed <= last).sort((a, b) => a.seed - b.seed);
  return (task: string, probe: string) => runs.map((r) => {
    const cell = (m: string) => r.rows.find((x) => x.model === m)!.cells[task][probe === 'EVAR' ? 'ci' : 'ridge'].mean;
    return 100 * (cell('pre-trained 1000 steps, AaPE on') - cell('random init, AaPE on'));
  });
};
const fmt = (xs: number[]) => xs.map((x) => `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(1)}`).join(', ');
/** The preset's gains on its first `seeds` seeds, from the four-seed report. */
const presetGains = (task: string, probe: string, seeds: number) => report.find((c) => c[0] === PAIR && c[1] === task && c[2] === probe)![4].split(',').slice(0, seeds).map(Number);
/** The text of the section whose heading starts with `title`. */
const sectionOf = (title: string) => {
  const doc = readFileSync('docs/results.md', 'utf8');
  const start = doc.indexOf(`## ${title}`);
  return doc.slice(start, doc.indexOf('\n## ', start + 1));
};

/** A section's per-seed gain rows of `width` cells (task first, then signed gains), as cells. */
const gainRows = (title: string, width: number) => sectionOf(title).split('\n').filter((l) => /^\| [a-z-]+ \| [+−]/.test(l) && cells(l).length === width).map(cells);

/** 'preset' (the four-seed report) or a proxy-seeds JSON: whose gains a per-seed table sets beside a recipe's. */
type Beside = 'preset' | string;

/**
 * A recipe's per-seed table (seeds 0 .. last) beside other runs' gains on the same seeds: rows of
 * task | ridge: recipe | ridge: each of `beside` | EVAR: recipe | EVAR: each of `beside`.
 */
function expectBeside(title: string, recipeJson: string, last: number, beside: Beside[]) {
  const runs = [recipeJson, ...beside].map((b) => (b === 'preset' ? (task: string, probe: string) => presetGains(task, probe, last + 1) : gainsOf(b, last)));
  const rows = gainRows(title, 1 + 2 * runs.length);
  expect(rows).toHaveLength(8);
  for (const [task, ...got] of rows) {
    const want = ['ridge', 'EVAR'].flatMap((probe) => runs.map((g) => fmt(g(task, probe))));
    expect(got.map(plain), task).toEqual(want);
  }
}

/**
 * A section's pair-th pair of block tables (ridge, then EVAR; rows task | random → pre-trained
 * (gain) per block) against the JSON that scripts/layer-profile.py wrote.
 */
function expectBlockTables(title: string, json: string, pair = 0) {
  type Block = { block: number; whole: boolean; tasks: string[]; random: Record<string, Record<string, number>>; pretrained: Record<string, Record<string, number>> };
  const { blocks } = JSON.parse(readFileSync(json, 'utf8')) as { blocks: Block[] };
  const tables = sectionOf(title).split('\n\n').filter((t) => t.startsWith('| task | block ')).slice(2 * pair, 2 * pair + 2);
  expect(tables).toHaveLength(2);
  const one = (x: number) => x.toFixed(1);
  for (const [probe, table] of [['ridge', tables[0]], ['EVAR', tables[1]]] as const) {
    expect(cells(table.split('\n')[0]).slice(1)).toEqual(blocks.map((b) => `block ${b.block}${b.whole ? ' (whole encoder)' : ''}`));
    const rows = table.split('\n').slice(2).map(cells);
    expect(rows.map((r) => r[0])).toEqual(blocks[0].tasks);
    for (const [task, ...got] of rows) {
      const want = blocks.map((b) => {
        const r = b.random[probe][task], p = b.pretrained[probe][task];
        return `${one(r)} → ${one(p)} (${p - r >= 0 ? '+' : ''}${one(p - r)})`;
      });
      expect(got, `${probe} ${task}`).toEqual(want);
    }
  }
}

describe('docs/results.md: band-shifted negatives (run PS)', () => {
  it('gives, per seed, the gains in shift.json, the preset\'s report and decor.json', () => {
    expectBeside('Band-shifted negatives', 'docs/results/shift.json', 1, ['preset', 'docs/results/decor.json']);
  });
});

describe('docs/results.md: which block holds what', () => {
  it('gives, per block, the cells of docs/results/layer-profile.json (as scripts/layer-profile.py prints them)', () => {
    expectBlockTables('Which block holds what', 'docs/results/layer-profile.json');
  });

  it('gives, per seed, run DF\'s gains in frozen.json beside DC\'s in decor.json', () => {
    expectBeside('Which block holds what', 'docs/results/frozen.json', 1, ['docs/results/decor.json']);
  });
});

describe('docs/results.md: the reconstruction recipe at lr 1e-3 over three seeds (run V)', () => {
  it('gives, per seed, the gains in recon-lr.json, the preset\'s report and decor.json', () => {
    expectBeside('The reconstruction recipe at lr 1e-3', 'docs/results/recon-lr.json', 2, ['preset', 'docs/results/decor.json']);
  });
});

describe('docs/results.md: a faster first block (V\'s block profile and run LW)', () => {
  it('gives V\'s first-block cells of docs/results/layer-profile-v.json', () => {
    expectBlockTables('A faster first block', 'docs/results/layer-profile-v.json');
  });

  it('gives seed 1\'s first-block cells, V then LW, of their layer-profile JSON', () => {
    expectBlockTables('A faster first block', 'docs/results/layer-profile-v-seed1.json', 1);
    expectBlockTables('A faster first block', 'docs/results/layer-profile-lw-seed1.json', 2);
  });

  it('gives, per seed, LW\'s gains in late-lr.json beside V\'s in recon-lr.json and the preset\'s report', () => {
    expectBeside('A faster first block', 'docs/results/late-lr.json', 1, ['docs/results/recon-lr.json', 'preset']);
  });
});

describe('docs/results.md: recorded notes in the pre-training corpus (run VI)', () => {
  it('gives, per seed, VI\'s gains in instr-mix.json beside V\'s in recon-lr.json and the preset\'s report', () => {
    expectBeside('Recorded notes in the pre-training corpus', 'docs/results/instr-mix.json', 2, ['docs/results/recon-lr.json', 'preset']);
  });
});

describe('docs/results.md: blocks 1 and 4 side by side (VI read at block 1, at blocks 1 + 4, whole)', () => {
  it('gives, per seed, VI\'s gains at block 1 (instr-mix-l1.json), blocks 1 + 4 (instr-mix-l14.json) and the whole encoder (instr-mix.json)', () => {
    expectBeside('Blocks 1 and 4 side by side', 'docs/results/instr-mix-l1.json', 2, ['docs/results/instr-mix-l14.json', 'docs/results/instr-mix.json']);
    // Run E (seeds 0, 1): the probe choosing blocks beside B's plain read-out of both.
    expectBeside('Blocks 1 and 4 side by side', 'docs/results/instr-mix-l14c.json', 1, ['docs/results/instr-mix-l14.json']);
  });
});

describe('docs/results.md: pitch with labels (the read-out is not the ceiling)', () => {
  type Cell = { mean: number; half: number };
  type Bench = { rows: { model: string; cells: Record<string, Record<'ci' | 'ridge', Cell>> }[] };
  const bench = (name: string) => JSON.parse(readFileSync(`docs/results/${name}.json`, 'utf8')) as Bench;
  const cell = (b: Bench, row: number, task: string, probe: 'ci' | 'ridge') => b.rows[row].cells[task][probe];
  const ci = (c: Cell) => `${(100 * c.mean).toFixed(1)} ± ${(100 * c.half).toFixed(1)}`;
  const both = (b: Bench, row: number) => `${ci(cell(b, row, 'pitch', 'ridge'))} (${ci(cell(b, row, 'pitch', 'ci'))})`;
  const title = 'Pitch with labels';
  const rowsOf = (header: string) => {
    const lines = sectionOf(title).split('\n');
    const at = lines.indexOf(header);
    expect(at, header).toBeGreaterThan(0);
    const out: string[][] = [];
    for (let i = at + 2; lines[i]?.startsWith('|'); i++) out.push(cells(lines[i]));
    return out;
  };

  it('gives the pitch read-outs of pitch-logmel-300, pitch-300, pitch-preset and pitch-tuned.json', () => {
    const rows = rowsOf('| probe trained on | log-mel statistics | random init (seed 0) | preset (seed 0) | fine-tuned with labels (seed 0) |');
    const [preset, big, tuned, logmel] = ['pitch-preset', 'pitch-300', 'pitch-tuned', 'pitch-logmel-300'].map(bench);
    expect(rows[0].slice(2)).toEqual([both(preset, 0), both(preset, 1), both(tuned, 1)]);
    expect(both(tuned, 0)).toBe(both(preset, 0)); // the same random init, read from the same cache
    expect(rows[1].slice(1, 4)).toEqual([both(logmel, 0), both(big, 0), both(big, 1)]);
  });

  it('gives, per init seed, the fine-tuned encoder\'s gains over its random init', () => {
    const rows = rowsOf('| init seed | pitch | recorded pitch class | timbre |');
    const gain = (b: Bench, task: string, probe: 'ci' | 'ridge') => {
      const d = 100 * (cell(b, 1, task, probe).mean - cell(b, 0, task, probe).mean);
      return `${d < 0 ? '-' : '+'}${Math.abs(d).toFixed(1)}`;
    };
    const files = ['pitch-tuned', 'pitch-tuned-s1'];
    expect(rows.map((r) => r[0])).toEqual(['0', '1']);
    rows.forEach((r, s) => {
      const b = bench(files[s]);
      expect(r.slice(1).map(plain), files[s]).toEqual(['pitch', 'instrument-pitch', 'timbre'].map((t) => `${gain(b, t, 'ridge')} / ${gain(b, t, 'ci')}`));
    });
  });
});
