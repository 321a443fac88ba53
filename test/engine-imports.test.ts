// The engine core (src/tensor, src/gpu) sits in no import cycle, and autograd needs no registration
// step: backward() works in a program that never imported the op set.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { init, setRuntime } from '../src/gpu/runtime';
import { Tensor, empty, tensor } from '../src/tensor/tensor';
import { record } from '../src/tensor/tape';
import { backward } from '../src/tensor/autograd';

const SRC = resolve(__dirname, '../src');

/** Relative imports and re-exports of every .ts file under src/ (type-only ones are erased, so left out). */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  (function walk(d: string) {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
    }
  })(SRC);
  const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm;
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(re)) {
      const t = resolve(dirname(f), m[1]);
      const hit = [`${t}.ts`, join(t, 'index.ts'), t].find((c) => c.endsWith('.ts') && existsSync(c));
      if (hit) deps.push(hit);
    }
    graph.set(f, deps);
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan): each is an import cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next); low.set(v, next++); stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); c.push(relative(SRC, w)); } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('engine imports', () => {
  it('finds a cycle when there is one (the scanner itself works)', () => {
    const g = new Map([['/a.ts', ['/b.ts']], ['/b.ts', ['/c.ts']], ['/c.ts', ['/a.ts']], ['/d.ts', ['/a.ts']]]);
    expect(cycles(g).map((c) => c.length)).toEqual([3]);
  });

  it('no import cycle passes through src/tensor or src/gpu', () => {
    const core = cycles(importGraph()).filter((c) => c.some((f) => f.startsWith('tensor/') || f.startsWith('gpu/')));
    expect(core).toEqual([]);
  });

  it('ops record on the tape, not through autograd.ts (which imports the ops)', () => {
    const users = [...importGraph()].filter(([, deps]) => deps.includes(join(SRC, 'tensor/autograd.ts'))).map(([f]) => relative(SRC, f));
    expect(users.filter((f) => f.startsWith('ops/') || f.startsWith('aasp/'))).toEqual([]);
  });

  it('backward works without importing the op set first', async () => {
    const rt = await init();
    try {
      const x = tensor([1, 2, 3]).requireGrad();
      // y = 3·x summed, recorded by hand; backward needs ones (for the seed) and add (to accumulate).
      const y = record('sum3', empty([1]), [x, x, x], [], (g) => [g, g, g].map(() => tensor([1, 1, 1])));
      backward(y);
      expect([...(await (x.grad as Tensor).toArray())]).toEqual([3, 3, 3]);
    } finally {
      rt.destroy();
      setRuntime(null);
    }
  });
});
