/**
 * docs/results.md opens with the answer so far: per task the preset's random init and its gains
 * paired by seed. Those numbers are the four-seed report's (docs/results/seeds-report.md); this
 * checks each cell against it, so regenerating the report without the summary fails here.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
const plain = (s: string) => s.replace(/\*/g, '').replace(/−/g, '-');

describe('docs/results.md: the answer so far', () => {
  it('gives the four-seed report\'s random init and paired gains for every task', () => {
    const report = readFileSync('docs/results/seeds-report.md', 'utf8').split('\n').filter((l) => l.startsWith('|')).map(cells);
    const doc = readFileSync('docs/results.md', 'utf8');
    const section = doc.slice(doc.indexOf('## The answer so far'), doc.indexOf('## How to reproduce'));
    const rows = section.split('\n').filter((l) => /^\| [a-z-]+[ ,]/.test(l) && / \(\d+\.\d\) \|/.test(l)).map(cells);
    expect(rows).toHaveLength(8);
    const PAIR = 'pre-trained 1000 steps, AaPE on − random init, AaPE on';
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
