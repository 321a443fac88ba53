/**
 * Waiting for MPI operations without ever hanging silently. Each collective operation is preceded
 * by an arrival notice: right before starting it, every rank sends its step number to every other
 * rank (N−1 tiny messages per rank, negligible beside a gradient all-reduce). Operations
 * are then completed by polling MPI_Test from the event loop; when they are not done within the
 * timeout, the ranks whose arrival notice never came are the ones that died or hang, and this rank
 * ends the whole job naming them (MPI_Abort: mpirun then stops every rank).
 *
 * A rank killed outright is noticed by mpirun itself ("process rank 1 … exited on signal 9"), which
 * ends the job at once; the watchdog covers the rank that is alive but stuck (a hung driver, a
 * stopped process, a wedged file system) and a rank that left the step loop early.
 *
 * A rank can also get stuck after its arrival notice went out (stopped or hung inside the
 * collective). The notice therefore carries the sender's process id and host: on a timeout with
 * every notice in, a peer on this host whose process is stopped, blocked in the kernel or gone
 * (/proc/PID/stat) is named; otherwise the message says every rank arrived.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Mpi, HostBuffer, Request } from './mpi';

const ARRIVAL_TAG = 0x5a5a;
/** Ints per arrival notice: step, process id, host hash. */
const NOTICE = 3;

/** A 31-bit hash of this host's name (ranks compare it to know which peers they can inspect). */
function hostHash(): number {
  let h = 0;
  for (const c of hostname()) h = (Math.imul(h, 31) + c.charCodeAt(0)) | 0;
  return h & 0x7fffffff;
}

/** Why a local process cannot take part (from /proc/PID/stat), or null if it runs or cannot be read. */
export function processTrouble(pid: number): string | null {
  let state: string;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]; // the field after (comm)
  } catch {
    return null;
  }
  if (state === 'T' || state === 't') return 'stopped (a signal or a debugger)';
  if (state === 'D') return 'blocked in the kernel (a hung driver or file system)';
  if (state === 'Z' || state === 'X') return 'gone (exited)';
  return null;
}

export type Fatal = (message: string) => never;

export class Watchdog {
  private arrivals: HostBuffer;
  private pending: { step: number; recvs: Request[]; sends: Request[]; peers: number[] } | null = null;

  constructor(private readonly mpi: Mpi, public timeoutMs: number, private readonly fatal: Fatal) {
    // Notice `size` is this rank's own (the send buffer); notices 0..size-1 receive the peers'.
    this.arrivals = mpi.alloc((mpi.size + 1) * NOTICE);
    this.arrivals.i32[mpi.size * NOTICE + 1] = process.pid;
    this.arrivals.i32[mpi.size * NOTICE + 2] = hostHash();
  }

  /** Announce that this rank reached the collective of `step` it starts next, and listen for the others. */
  begin(step: number): void {
    if (this.pending) throw new Error('Watchdog.begin: previous exchange not ended');
    const { mpi } = this;
    const me = mpi.size * NOTICE;
    this.arrivals.i32[me] = step;
    const peers = [...Array(mpi.size).keys()].filter((r) => r !== mpi.rank);
    for (const r of peers) this.arrivals.i32[r * NOTICE] = -1;
    const recvs = peers.map((r) => mpi.irecvInt(this.arrivals, r * NOTICE, NOTICE, r, ARRIVAL_TAG));
    const sends = peers.map((r) => mpi.isendInt(this.arrivals, me, NOTICE, r, ARRIVAL_TAG));
    this.pending = { step, recvs, sends, peers };
  }

  /** Wait for `reqs` (started by the caller); `what` names the operation in a timeout message. */
  async wait(reqs: Request[], what: string): Promise<void> {
    const t0 = performance.now();
    let polls = 0;
    for (;;) {
      let all = true;
      for (const r of reqs) if (!this.mpi.test(r)) all = false;
      if (this.pending) for (const r of this.pending.recvs) this.mpi.test(r);
      this.checkSteps();
      if (all) return;
      if (performance.now() - t0 > this.timeoutMs) this.timeout(what);
      // Spin briefly through the event loop, then back off to 1 ms: on a machine whose cores also run
      // the GPU driver (lavapipe) a busy rank would slow the others.
      await new Promise<void>((res) => (++polls < 64 ? setImmediate(res) : setTimeout(res, 1)));
    }
  }

  /** Close the exchange: every arrival notice must have come (they precede the collectives). */
  async end(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    await this.wait([...p.recvs, ...p.sends], 'arrival notices');
    this.pending = null;
  }

  private checkSteps(): void {
    const p = this.pending;
    if (!p) return;
    p.peers.forEach((r, i) => {
      const s = this.arrivals.i32[r * NOTICE];
      if (p.recvs[i].done && s !== p.step) this.fatal(`rank ${this.mpi.rank} is at step ${p.step} but rank ${r} is at step ${s}: the ranks lost step (a bug); ending the job`);
    });
  }

  private timeout(what: string): never {
    const p = this.pending;
    const secs = (this.timeoutMs / 1000).toFixed(0);
    const missing = p ? p.peers.filter((_, i) => !p.recvs[i].done) : [];
    const step = p ? ` of step ${p.step}` : '';
    if (missing.length) {
      const who = missing.length === 1 ? `rank ${missing[0]}` : `ranks ${missing.join(', ')}`;
      this.fatal(`rank ${this.mpi.rank}: ${who} did not reach the ${what}${step} within ${secs} s (died or hangs); ending the job`);
    }
    const host = this.arrivals.i32[this.mpi.size * NOTICE + 2];
    for (const r of p?.peers ?? []) {
      const [pid, peerHost] = [this.arrivals.i32[r * NOTICE + 1], this.arrivals.i32[r * NOTICE + 2]];
      const trouble = peerHost === host ? processTrouble(pid) : null;
      if (trouble) this.fatal(`rank ${this.mpi.rank}: rank ${r} reached the ${what}${step} but is ${trouble} (process ${pid}); ending the job`);
    }
    this.fatal(`rank ${this.mpi.rank}: the ${what}${step} did not complete within ${secs} s although every rank reached it (network or MPI fault); ending the job`);
  }

  dispose(): void { this.mpi.free(this.arrivals); }
}
