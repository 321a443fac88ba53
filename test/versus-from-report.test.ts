/**
 * scripts/versus-from-report.py: a recipe's per-seed rows against an older proxy-seeds report,
 * paired by seed. The DC − N table in docs/results.md is this script's output on the committed
 * files, checked cell by cell here, and a JSON whose random init differs from the report's is
 * refused with the cell named.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (args: string[]) => spawnSync('python3', ['scripts/versus-from-report.py', ...args], { encoding: 'utf8' });
const JSON_FILE = 'docs/results/decor.json', REPORT = 'docs/results/seeds-report.md';

describe('versus-from-report', () => {
  it('gives the DC − N table that docs/results.md shows', () => {
    const r = run([JSON_FILE, REPORT]);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| [a-z-]+ \| (ridge|EVAR) \|/.test(l));
    expect(rows).toHaveLength(16);
    const docs = readFileSync('docs/results.md', 'utf8').replace(/−/g, '-');
    for (const row of rows) {
      const [task, probe, dc, n, diff, per] = row.split('|').slice(1, 7).map((c) => c.trim());
      // The docs' row: the same task and probe, the same four numbers (bold where the interval excludes 0).
      expect(docs, `${task} ${probe}`).toContain(`| ${task} | ${probe} | ${dc} | ${n} | ${diff} | ${per} |`);
    }
    expect(r.stdout).toMatch(/^\| instruments \| EVAR \| \+9\.3 ± 1\.0 \| \+7\.1 ± 1\.6 \| \*\*\+2\.1 ± 0\.8\*\* \| \+1\.6, \+1\.9, \+2\.1, \+2\.9 \|$/m);
  });

  it('refuses a recipe whose random init is not the report\'s', () => {
    const j = JSON.parse(readFileSync(JSON_FILE, 'utf8'));
    j.runs[0].rows.find((r: { model: string }) => r.model === 'random init, AaPE on').cells.pitch.ridge.mean += 0.02;
    const f = join(mkdtempSync(join(tmpdir(), 'aasp-versus-')), 'moved.json');
    writeFileSync(f, JSON.stringify(j));
    const r = run([f, REPORT]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: random init differs: pitch ridge 69.46 in ${f} against 69.0 in ${REPORT}`);
  });
});
