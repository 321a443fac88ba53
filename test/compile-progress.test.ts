/** The first step's kernel compilation is shown, with a total and ETA once the count is known. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Runtime } from '../src/gpu/runtime';
import { watchCompiles } from '../src/util/compile-progress';

const cache = mkdtempSync(path.join(tmpdir(), 'aasp-cache-'));
const saved = process.env.XDG_CACHE_HOME;
process.env.XDG_CACHE_HOME = cache;
afterAll(() => {
  if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
  rmSync(cache, { recursive: true, force: true });
});

/** What watchCompiles uses of a Runtime, and a log stream without a terminal. */
function fakes() {
  const rt = { adapterName: 'test adapter', pipelineCount: 0, onPipelineCompiled: null as Runtime['onPipelineCompiled'] };
  const compile = (name: string) => { rt.pipelineCount++; rt.onPipelineCompiled?.(name, 5, rt.pipelineCount); };
  const out: string[] = [];
  const stream = { isTTY: false, write: (s: string) => { out.push(s); return true; } } as unknown as NodeJS.WriteStream;
  return { rt: rt as unknown as Runtime, compile, out, stream };
}

describe('compile progress', () => {
  it('counts the kernels of a first run, then shows n/total for the same shape', () => {
    const a = fakes();
    const w = watchCompiles(a.rt, 'tiny B8', a.stream);
    for (let i = 0; i < 12; i++) a.compile(`k${i}`);
    w.done();
    expect(a.out[0]).toMatch(/^compiling kernels 10 · .* last k9 5 ms\n$/);
    expect(a.out.at(-1)).toMatch(/^compiled 12 kernels in .* \(first step\)\n$/);
    expect(a.rt.onPipelineCompiled).toBeNull();

    const b = fakes();
    const w2 = watchCompiles(b.rt, 'tiny B8', b.stream);
    for (let i = 0; i < 10; i++) b.compile(`k${i}`);
    w2.done();
    expect(b.out[0]).toMatch(/^compiling kernels 10\/12 · .* · ETA .* · last k9/);

    const c = fakes();
    const w3 = watchCompiles(c.rt, 'small B4', c.stream); // another shape: no total known
    for (let i = 0; i < 10; i++) c.compile(`k${i}`);
    w3.done();
    expect(c.out[0]).toMatch(/^compiling kernels 10 · /);
  });

  it('says nothing when every kernel was already compiled', () => {
    const a = fakes();
    watchCompiles(a.rt, 'tiny B8', a.stream).done();
    expect(a.out).toEqual([]);
  });
});
