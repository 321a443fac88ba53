// The AaPE visualisation: the PNG encoder and the SVG report (no GPU needed).
import { describe, expect, it } from 'vitest';
import { inflateSync } from 'node:zlib';
import { crc32, encodePng } from '../src/util/png';
import { aapeVizSvg, robustRange, syntheticSignal } from '../src/aasp/viz';

describe('png', () => {
  it('crc32 matches the standard check value and IEND', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('encodes a decodable RGB image', () => {
    const rgb = Uint8Array.from({ length: 3 * 4 * 2 }, (_, i) => (i * 37) & 255);
    const png = encodePng(4, 2, rgb);
    expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const dv = new DataView(png.buffer);
    expect(dv.getUint32(16)).toBe(4);
    expect(dv.getUint32(20)).toBe(2);
    const idatLen = dv.getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(2 * (1 + 12));
    expect([...raw.subarray(1, 13)]).toEqual([...rgb.subarray(0, 12)]);
    expect(() => encodePng(4, 2, rgb.subarray(1))).toThrow(/bytes/);
  });
});

describe('aapeVizSvg', () => {
  it('draws the input, ω and α per mode, and one SBLU map per mode', () => {
    const F = 8, T = 20, M = 3;
    const svg = aapeVizSvg({
      title: 'test <model>', notes: ['a & b'], logmel: Float32Array.from({ length: F * T }, (_, i) => Math.sin(i)), F, T,
      alpha: new Float32Array(F * M).fill(0.1), omega: Float32Array.from({ length: F * M }, (_, i) => 0.2 + (i % M)),
      M, K: 33, S: Float32Array.from({ length: F * M * T }, (_, i) => i % 7), frameRate: 100,
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('test &lt;model&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg.match(/<image /g)?.length).toBe(1 + M);
    expect(svg.match(/<polyline /g)?.length).toBe(2 * (M + 1));
    expect(svg).not.toContain('NaN');
  });

  it('robustRange ignores outliers and handles constants', () => {
    const v = Float32Array.from({ length: 1000 }, (_, i) => i);
    v[0] = -1e9;
    const [lo, hi] = robustRange(v);
    expect(lo).toBeGreaterThan(0);
    expect(hi).toBeLessThan(1000);
    expect(robustRange([2, 2, 2])).toEqual([1.5, 2.5]);
  });

  it('the synthetic signal is deterministic', () => {
    const a = syntheticSignal(0.5), b = syntheticSignal(0.5);
    expect(a.length).toBe(8000);
    expect(a).toEqual(b);
  });
});
