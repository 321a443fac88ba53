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
 */
import type { Mpi, HostBuffer, Request } from './mpi';

const ARRIVAL_TAG = 0x5a5a;

export type Fatal = (message: string) => never;

export class Watchdog {
  private arrivals: HostBuffer;
  private pending: { step: number; recvs: Request[]; sends: Request[]; peers: number[] } | null = null;

  constructor(private readonly mpi: Mpi, public timeoutMs: number, private readonly fatal: Fatal) {
    // Slot `size` holds this rank's own step (the send buffer); slots 0..size-1 receive the peers'.
    this.arrivals = mpi.alloc(mpi.size + 1);
  }

  /** Announce that this rank reached the collective of `step` it starts next, and listen for the others. */
  begin(step: number): void {
    if (this.pending) throw new Error('Watchdog.begin: previous exchange not ended');
    const { mpi } = this;
    const me = mpi.size;
    this.arrivals.i32[me] = step;
    const peers = [...Array(mpi.size).keys()].filter((r) => r !== mpi.rank);
    for (const r of peers) this.arrivals.i32[r] = -1;
    const recvs = peers.map((r) => mpi.irecvInt(this.arrivals, r, 1, r, ARRIVAL_TAG));
    const sends = peers.map((r) => mpi.isendInt(this.arrivals, me, 1, r, ARRIVAL_TAG));
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
      const s = this.arrivals.i32[r];
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
    this.fatal(`rank ${this.mpi.rank}: the ${what}${step} did not complete within ${secs} s although every rank reached it (network or MPI fault); ending the job`);
  }

  dispose(): void { this.mpi.free(this.arrivals); }
}
