// The WGSL template step (src/gpu/template.ts): shared snippets from shaders/lib/ and generated inserts.
// No GPU: parsing only.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { expandTemplate } from '../src/gpu/template';

describe('template includes and inserts', () => {
  it('splices a library file once, with its placeholders filled in', () => {
    const src = [
      'const WG: u32 = 64u;',
      '//#include lib/tree_reduce.wgsl FN=lane_sum T=f32 COMBINE=a+b',
      '//#include lib/tree_reduce.wgsl FN=lane_max T=f32 COMBINE=max(a,b)',
      '//#include lib/tree_reduce.wgsl FN=lane_sum T=f32 COMBINE=a+b',
      '//#include lib/index.wgsl',
      '//#include lib/index.wgsl',
    ].join('\n');
    const out = expandTemplate(src);
    expect(out.match(/^fn lane_sum\(/gm)).toHaveLength(1);
    expect(out.match(/^fn lane_max\(/gm)).toHaveLength(1);
    expect(out.match(/^fn dim\(/gm)).toHaveLength(1);
    expect(out).toContain('lane_max_red[l] = max(a,b);');
    expect(out).not.toContain('$');
  });

  it('expands directives inside included files with the kernel parameters', () => {
    const src = 'struct Params { keptShape: array<vec4<u32>, 2>, keptStrides: array<vec4<u32>, 2> }\n' +
      '@group(0) @binding(0) var<uniform> p: Params;\n//#include lib/unravel.wgsl FN=off RANK=KR SHAPE=keptShape STRIDES=keptStrides';
    const out = expandTemplate(src, { KR: 2 });
    expect(out).toContain('off += rem * p.keptStrides[0][0];');
    expect(out).toContain('let len = p.keptShape[0][1];');
    expect(() => new WgslReflect(out)).not.toThrow();
  });

  it('inserts generated text and names what is missing', () => {
    expect(expandTemplate('a\n//#insert CASES\nb', {}, { CASES: 'x\ny' })).toBe('a\nx\ny\nb');
    expect(() => expandTemplate('//#insert CASES')).toThrow(/nothing given for #insert CASES/);
    expect(() => expandTemplate('//#include lib/nope.wgsl')).toThrow(/unknown include "lib\/nope.wgsl"/);
    expect(() => expandTemplate('//#include lib/tree_reduce.wgsl FN=f')).toThrow(/needs a value for \$T/);
  });

  it('every shader/lib file is registered with the template step', () => {
    const files = readdirSync('shaders/lib').filter((f) => f.endsWith('.wgsl'));
    // Any template parameter a file tests is 1 here: only registration and placeholders are checked.
    const anyParam = new Proxy({}, { has: () => true, get: () => 1 });
    for (const f of files) expect(() => expandTemplate(`//#include lib/${f} ${placeholders(f)}`, anyParam), f).not.toThrow();
  });
});

/** Dummy values for a library file's placeholders (only registration is checked here). */
function placeholders(file: string): string {
  const names = new Set([...readFileSync(`shaders/lib/${file}`, 'utf8').matchAll(/\$([A-Z][A-Z0-9]*)/g)].map((m) => m[1]));
  return [...names].map((n) => `${n}=1`).join(' ');
}
