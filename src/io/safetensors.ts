/**
 * safetensors: 8-byte little-endian header length, a JSON header {name: {dtype, shape,
 * data_offsets}, "__metadata__": {string: string}}, then raw little-endian data. The format PyTorch
 * re-implementations read, so checkpoints stay portable. Writes are atomic (temp file + rename).
 */
export type SafeDType = 'F32' | 'I32' | 'F64';
export interface SafeTensor { dtype: SafeDType; shape: number[]; data: Float32Array | Int32Array | Float64Array }
export interface SafeFile { tensors: Map<string, SafeTensor>; metadata: Record<string, string> }

const BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, F64: 8 };

export function encodeSafetensors(tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    const bytes = n * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    pos += src.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, nameForErrors = 'safetensors'): SafeFile {
  if (bytes.length < 8) throw new Error(`${nameForErrors}: file too short (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8) throw new Error(`${nameForErrors}: header length ${hlen} exceeds file size`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    throw new Error(`${nameForErrors}: header is not JSON (${(e as Error).message})`);
  }
  const base = 8 + hlen;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') { metadata = info as Record<string, string>; continue; }
    const { dtype, shape, data_offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new Error(`${nameForErrors}: tensor ${name} has unsupported dtype ${dtype}`);
    const [s, e] = data_offsets;
    const n = shape.reduce((a, b) => a * b, 1);
    if (e - s !== n * BYTES[dtype as SafeDType] || base + e > bytes.length) throw new Error(`${nameForErrors}: tensor ${name} data out of bounds`);
    const copy = bytes.slice(base + s, base + e);
    const data = dtype === 'F32' ? new Float32Array(copy.buffer) : dtype === 'I32' ? new Int32Array(copy.buffer) : new Float64Array(copy.buffer);
    tensors.set(name, { dtype: dtype as SafeDType, shape, data });
  }
  return { tensors, metadata };
}

/** How {@link writeSafetensors} writes the bytes (tests inject failures such as ENOSPC here). */
export interface WriteHooks {
  writeBytes?: (fh: import('node:fs/promises').FileHandle, bytes: Uint8Array) => Promise<void>;
}

/** The temporary file an atomic write of `path` goes through, named by the writing process. */
export const tempPathFor = (path: string, pid = process.pid): string => `${path}.tmp-${pid}`;

/**
 * Write atomically: a crash leaves either the old file or the new one, never a torn one. When the
 * write fails (a full disk), the temporary file is removed before the error is passed on, so a
 * failed write does not keep the disk full.
 */
export async function writeSafetensors(path: string, tensors: Map<string, SafeTensor> | Record<string, SafeTensor>, metadata: Record<string, string> = {}, hooks: WriteHooks = {}): Promise<void> {
  const fs = await import('node:fs/promises');
  const bytes = encodeSafetensors(tensors, metadata);
  const tmp = tempPathFor(path);
  const fh = await fs.open(tmp, 'w');
  try {
    try {
      await (hooks.writeBytes ? hooks.writeBytes(fh, bytes) : fh.writeFile(bytes));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** Is process `pid` alive on this machine? (EPERM: alive but not ours to signal.) */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temporary files (`<name>.tmp-<pid>`) that a killed or disk-full writer left in `dir`,
 * where `<pid>` is neither this process nor a live one (a live writer may still be writing).
 * Returns the removed paths; a folder that does not exist has none.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const fs = await import('node:fs/promises');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    const path = `${dir}/${name}`;
    await fs.rm(path, { force: true });
    removed.push(path);
  }
  return removed;
}

/** Index of the first NaN or ±Inf value, or -1 when all are finite. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

export async function readSafetensors(path: string): Promise<SafeFile> {
  const fs = await import('node:fs/promises');
  return decodeSafetensors(new Uint8Array(await fs.readFile(path)), path);
}
