/**
 * Open MPI from Node, through the `koffi` FFI (no compile step): the handful of MPI calls that
 * data-parallel training needs. libmpi.so.40 (Debian's libopenmpi3) is loaded with RTLD_GLOBAL,
 * because Open MPI's plug-ins (dlopen'ed by MPI_Init) resolve their symbols against it.
 *
 * Only non-blocking collectives and point-to-point calls are bound for the training path, completed
 * by polling `test()` from the event loop: a blocking MPI call would freeze the thread, so no timer
 * could notice a rank that died or hangs. Everything runs on the main thread (MPI_THREAD_SINGLE use).
 *
 * Buffers handed to a non-blocking call must not move until it completes, so they are allocated
 * outside the JS heap (`HostBuffer`: koffi.alloc memory seen through a Float32Array view).
 * Handles (communicator, datatypes, ops) are Open MPI's exported globals (`ompi_mpi_comm_world`, …):
 * this binding is for Open MPI, not MPICH (whose handles are integers).
 */
import { createRequire } from 'node:module';

/** No usable Open MPI: the message is one line with what to install. */
export class MpiMissingError extends Error {
  constructor(detail: string) {
    super(`Open MPI is not available (${detail}); install it (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi3; npm: koffi) and start ranks with mpirun -np N`);
    this.name = 'MpiMissingError';
  }
}

/** Memory outside the JS heap, stable for non-blocking MPI calls. */
export interface HostBuffer {
  readonly ptr: bigint;
  readonly f32: Float32Array;
  readonly i32: Int32Array;
}

/** A pending non-blocking operation (an MPI_Request slot). */
export interface Request { slot: bigint; done: boolean }

type Fn = (...args: unknown[]) => number;
interface Koffi {
  load(path: string, opts?: { global?: boolean }): { func(proto: string): Fn; symbol(name: string): bigint };
  alloc(type: string, n: number): bigint;
  free(ptr: bigint): void;
  view(ptr: bigint, bytes: number): ArrayBuffer;
}

const MPI_IN_PLACE = 1n; // Open MPI: ((void *) 1)
const MPI_SUCCESS = 0;

export class Mpi {
  readonly rank: number;
  readonly size: number;
  /** Rank among the processes on this node (from mpirun's environment; 0 when unknown). */
  readonly localRank: number;
  readonly localSize: number;
  private finalized = false;

  private constructor(
    private readonly k: Koffi,
    private readonly f: Record<string, Fn>,
    private readonly h: { world: bigint; float: bigint; int: bigint; sum: bigint; max: bigint },
  ) {
    const out = [0];
    this.check(f.MPI_Comm_rank(h.world, out), 'MPI_Comm_rank');
    this.rank = out[0];
    this.check(f.MPI_Comm_size(h.world, out), 'MPI_Comm_size');
    this.size = out[0];
    const env = process.env;
    this.localRank = Number(env.OMPI_COMM_WORLD_LOCAL_RANK ?? env.SLURM_LOCALID ?? 0) || 0;
    this.localSize = Number(env.OMPI_COMM_WORLD_LOCAL_SIZE ?? 1) || 1;
  }

  /** Load libmpi and call MPI_Init. Throws MpiMissingError with an install hint when it cannot. */
  static async init(): Promise<Mpi> {
    let k: Koffi;
    try {
      const require = createRequire(import.meta.url);
      k = require('koffi') as Koffi;
    } catch {
      throw new MpiMissingError('the npm package koffi is not installed');
    }
    let lib: ReturnType<Koffi['load']>;
    try {
      lib = k.load(process.env.AASP_LIBMPI ?? 'libmpi.so.40', { global: true });
    } catch {
      throw new MpiMissingError(`cannot load ${process.env.AASP_LIBMPI ?? 'libmpi.so.40'}`);
    }
    const protos = [
      'int MPI_Init(void *argc, void *argv)',
      'int MPI_Finalize()',
      'int MPI_Abort(void *comm, int code)',
      'int MPI_Comm_rank(void *comm, _Out_ int *rank)',
      'int MPI_Comm_size(void *comm, _Out_ int *size)',
      'int MPI_Iallreduce(void *send, void *recv, int count, void *type, void *op, void *comm, void *req)',
      'int MPI_Iallgather(void *send, int scount, void *stype, void *recv, int rcount, void *rtype, void *comm, void *req)',
      'int MPI_Ibarrier(void *comm, void *req)',
      'int MPI_Isend(void *buf, int count, void *type, int dest, int tag, void *comm, void *req)',
      'int MPI_Irecv(void *buf, int count, void *type, int src, int tag, void *comm, void *req)',
      'int MPI_Test(void *req, _Out_ int *flag, void *status)',
    ];
    const f: Record<string, Fn> = {};
    for (const p of protos) f[/(MPI_\w+)/.exec(p)![1]] = lib.func(p);
    const h = {
      world: lib.symbol('ompi_mpi_comm_world'), float: lib.symbol('ompi_mpi_float'), int: lib.symbol('ompi_mpi_int'),
      sum: lib.symbol('ompi_mpi_op_sum'), max: lib.symbol('ompi_mpi_op_max'),
    };
    const rc = f.MPI_Init(null, null);
    if (rc !== MPI_SUCCESS) throw new MpiMissingError(`MPI_Init returned ${rc}`);
    return new Mpi(k, f, h);
  }

  private check(rc: number, what: string): void {
    if (rc !== MPI_SUCCESS) throw new Error(`rank ${this.rank}: ${what} failed with MPI error ${rc}`);
  }

  /** `n` float32 (or int32) slots outside the JS heap; `free()` it when done. */
  alloc(n: number): HostBuffer {
    const bytes = Math.max(1, n) * 4;
    const ptr = this.k.alloc('float', Math.max(1, n));
    const ab = this.k.view(ptr, bytes);
    return { ptr, f32: new Float32Array(ab, 0, n), i32: new Int32Array(ab, 0, n) };
  }

  free(b: HostBuffer): void { this.k.free(b.ptr); }

  private request(): Request { return { slot: this.k.alloc('void *', 1), done: false }; }

  /** Start an in-place sum (op 'sum') or max over `count` floats of `buf`, on every rank. */
  iallreduce(buf: HostBuffer, count: number, op: 'sum' | 'max' = 'sum'): Request {
    const r = this.request();
    this.check(this.f.MPI_Iallreduce(MPI_IN_PLACE, buf.ptr, count, this.h.float, op === 'sum' ? this.h.sum : this.h.max, this.h.world, r.slot), 'MPI_Iallreduce');
    return r;
  }

  /** Start gathering `count` floats of `send` from every rank into `recv` (rank order), on every rank. */
  iallgather(send: HostBuffer, count: number, recv: HostBuffer): Request {
    const r = this.request();
    this.check(this.f.MPI_Iallgather(send.ptr, count, this.h.float, recv.ptr, count, this.h.float, this.h.world, r.slot), 'MPI_Iallgather');
    return r;
  }

  ibarrier(): Request {
    const r = this.request();
    this.check(this.f.MPI_Ibarrier(this.h.world, r.slot), 'MPI_Ibarrier');
    return r;
  }

  /** Send `count` int32 of `buf` at element `offset` to rank `dest`. */
  isendInt(buf: HostBuffer, offset: number, count: number, dest: number, tag: number): Request {
    const r = this.request();
    this.check(this.f.MPI_Isend(buf.ptr + BigInt(offset * 4), count, this.h.int, dest, tag, this.h.world, r.slot), 'MPI_Isend');
    return r;
  }

  irecvInt(buf: HostBuffer, offset: number, count: number, src: number, tag: number): Request {
    const r = this.request();
    this.check(this.f.MPI_Irecv(buf.ptr + BigInt(offset * 4), count, this.h.int, src, tag, this.h.world, r.slot), 'MPI_Irecv');
    return r;
  }

  /** Has the operation completed? (MPI_Test also drives Open MPI's progress engine.) */
  test(r: Request): boolean {
    if (r.done) return true;
    const flag = [0];
    this.check(this.f.MPI_Test(r.slot, flag, null), 'MPI_Test');
    if (flag[0]) {
      r.done = true;
      this.k.free(r.slot);
    }
    return r.done;
  }

  /** End every rank of the job (mpirun kills the others) with this exit code. Does not return. */
  abort(code: number): never {
    this.f.MPI_Abort(this.h.world, code);
    process.exit(code);
  }

  finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.f.MPI_Finalize();
  }
}
