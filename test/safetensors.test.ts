import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from '../src/io/safetensors';

describe('safetensors', () => {
  it('round-trips tensors and metadata', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    const file = path.join(dir, 'a.safetensors');
    await writeSafetensors(file, { w: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }, i: { dtype: 'I32', shape: [2], data: Int32Array.from([7, -1]) } }, { step: '12' });
    const r = await readSafetensors(file);
    expect([...r.tensors.get('w')!.data]).toEqual([1, 2, 3, 4, 5, 6.5]);
    expect(r.tensors.get('w')!.shape).toEqual([2, 3]);
    expect([...r.tensors.get('i')!.data]).toEqual([7, -1]);
    expect(r.metadata.step).toBe('12');
    expect(readdirSync(dir)).toEqual(['a.safetensors']); // no temp file left behind
  });
  it('header is 8-byte aligned and data follows in order', () => {
    const b = encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: Float32Array.from([3]) } });
    const hlen = Number(new DataView(b.buffer).getBigUint64(0, true));
    expect((8 + hlen) % 8).toBe(0);
    expect(new DataView(b.buffer).getFloat32(8 + hlen, true)).toBe(3);
  });
  it('rejects a truncated file with a clear error', () => {
    const b = encodeSafetensors({ x: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(b.subarray(0, b.length - 4), 'x.safetensors')).toThrow(/x.safetensors: tensor x data out of bounds/);
    expect(() => decodeSafetensors(new Uint8Array(3), 'y')).toThrow(/too short/);
  });
  it('a failed write leaves the previous file intact', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'st-'));
    const file = path.join(dir, 'b.safetensors');
    writeFileSync(file, encodeSafetensors({ x: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } }));
    await expect(writeSafetensors(file, { x: { dtype: 'F32', shape: [2], data: Float32Array.from([1]) } })).rejects.toThrow(/2 values|1 values/);
    expect([...(await readSafetensors(file)).tensors.get('x')!.data]).toEqual([1]);
  });
});
