/**
 * `mpirun -np N node dist/allreduce-bench.js [--configs tiny,small,base] [--reps 10] [--bucket-mb 16]`:
 * what the gradient all-reduce of data-parallel pre-training costs. For each config it builds the
 * student (to count its gradient floats, as --distributed does), then times MPI_Iallreduce over the
 * same host buckets as training (all buckets started, then all awaited; ranks aligned by a barrier
 * before each repeat), and prints per config: bytes per step, median ms, algorithm bandwidth, and the
 * ring all-reduce's projected time on 25/100/400 Gb/s links for 2 and 8 ranks
 * (each rank sends and receives 2·(N−1)/N of the gradient bytes).
 */
import { init } from '../gpu/runtime';
import { Rng } from '../util/rng';
import { loadConfig } from '../aasp/config';
import { AaspStudent } from '../aasp/model';
import { makeEmbedder } from '../aasp/embedder';
import { Mpi, type Request } from './mpi';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function waitAll(mpi: Mpi, reqs: Request[]): void {
  for (;;) {
    let all = true;
    for (const r of reqs) if (!mpi.test(r)) all = false;
    if (all) return;
  }
}

/** Seconds of a ring all-reduce of `bytes` over `ranks` at `gbps` Gb/s (bandwidth term only). */
export const ringSeconds = (bytes: number, ranks: number, gbps: number) => (2 * (ranks - 1) / ranks) * bytes * 8 / (gbps * 1e9);

async function main(): Promise<void> {
  const mpi = await Mpi.init();
  const configs = arg('--configs', 'tiny,small,base').split(',');
  const reps = Number(arg('--reps', '10'));
  const cap = Math.floor((Number(arg('--bucket-mb', '16')) * 1024 * 1024) / 4);
  const rt = await init();
  const rows: Record<string, number | string>[] = [];
  for (const name of configs) {
    const cfg = await loadConfig(name);
    const student = new AaspStudent(cfg, new Rng(0), makeEmbedder);
    const sizes = student.parameters().map((p) => p.size);
    student.dispose();
    // Buckets as DataParallel plans them: parameters in reverse order, closed at `cap` floats.
    const buckets: number[] = [];
    let cur = 0;
    for (const n of sizes.reverse()) {
      if (cur > 0 && cur + n > cap) { buckets.push(cur); cur = 0; }
      cur += n;
    }
    if (cur) buckets.push(cur);
    const floats = sizes.reduce((a, b) => a + b, 0);
    const host = buckets.map((n) => { const b = mpi.alloc(n); b.f32.fill(mpi.rank + 1); return b; });
    const ms: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      waitAll(mpi, [mpi.ibarrier()]);
      const t0 = performance.now();
      waitAll(mpi, host.map((b, k) => mpi.iallreduce(b, buckets[k], 'sum')));
      if (r > 0) ms.push(performance.now() - t0); // the first repeat sets up connections
    }
    for (const b of host) mpi.free(b);
    ms.sort((a, b) => a - b);
    const med = ms[Math.floor(ms.length / 2)];
    const bytes = floats * 4;
    const row: Record<string, number | string> = { config: name, params: floats, bytes, buckets: buckets.length, ranks: mpi.size, median_ms: +med.toFixed(2), min_ms: +ms[0].toFixed(2), algbw_GBps: +(bytes / med / 1e6).toFixed(2) };
    for (const n of [2, 8]) for (const g of [25, 100, 400]) row[`ring${n}_${g}G_ms`] = +(ringSeconds(bytes, n, g) * 1000).toFixed(1);
    rows.push(row);
    if (mpi.rank === 0) {
      process.stdout.write(`${name.padEnd(6)} ${(floats / 1e6).toFixed(2).padStart(7)} M params ${(bytes / 1e6).toFixed(1).padStart(7)} MB/step in ${buckets.length} bucket(s): `
        + `median ${med.toFixed(2)} ms (min ${ms[0].toFixed(2)}), ${(bytes / med / 1e6).toFixed(2)} GB/s over ${mpi.size} ranks; `
        + `ring, 8 ranks: ${row.ring8_25G_ms} / ${row.ring8_100G_ms} / ${row.ring8_400G_ms} ms at 25/100/400 Gb/s\n`);
    }
  }
  if (mpi.rank === 0) process.stdout.write(`${JSON.stringify({ adapter: rt.adapterName, reps, rows })}\n`);
  rt.destroy();
  mpi.finalize();
}

main().then(() => process.exit(0), (e) => {
  process.stderr.write(`allreduce-bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
