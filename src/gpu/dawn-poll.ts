/**
 * Dawn's Node binding waits for GPU work (`mapAsync`, `onSubmittedWorkDone`, `requestDevice`) by
 * calling `ProcessEvents()` from a `setImmediate` callback that reschedules itself while any task is
 * pending: a busy loop that holds one CPU core for the whole wait. On a discrete GPU that core has
 * nothing else to do. On lavapipe the "GPU" is the same CPU cores, so the loop takes a core from the
 * threads that run the kernels: the tiny training step on 2 cores took 3.3 s with it and 2.2 s
 * without (docs/performance.md, ninth session).
 *
 * The binding looks `setImmediate` up on the global object at every reschedule, so a wrapper there
 * can pace it. The wrapper recognises the binding's callback (a native function taking no
 * arguments) and the chain it forms (a callback scheduled from inside the previous one): the first
 * DAWN_SPIN_MS of a chain poll at once, as before (short waits keep their latency); after that every
 * poll waits for a 1 ms timer. Every other `setImmediate` call goes straight through.
 *
 * Node only, installed once by `acquireDevice` (device.ts), which turns the pacing off again when the
 * adapter turns out to be a GPU: there the spinning core is idle anyway, and a wait that outlasts the
 * spin would lose up to a timer tick. `AASP_DAWN_SPIN=1` leaves Dawn's loop alone (for A/B timing).
 */

/** Polls of the binding's chains so far: `delayed` of them waited for a timer. */
export interface DawnPollStats { polls: number; delayed: number; installed: boolean; pacing: boolean }

const stats: DawnPollStats = { polls: 0, delayed: 0, installed: false, pacing: false };

/** How long a chain of polls may spin before it is paced by timers (ms). */
export const DAWN_SPIN_MS = 2;

/** Pace the binding's polls (true, once installed) or let them spin as Dawn does (false). */
export function setDawnPollPacing(on: boolean): void {
  stats.pacing = on && stats.installed;
}

export function dawnPollStats(): DawnPollStats {
  return { ...stats };
}

type Immediate = (cb: (...a: unknown[]) => void, ...args: unknown[]) => unknown;

const isNativeNoArg = (f: unknown): f is () => void =>
  typeof f === 'function' && f.length === 0 && Function.prototype.toString.call(f).endsWith('{ [native code] }');

/**
 * Replace `globalThis.setImmediate` with the pacing wrapper (idempotent). Returns false where there
 * is no `setImmediate` (browsers) or the user asked for Dawn's own loop.
 */
export function installDawnPollPacing(): boolean {
  if (stats.installed) return true;
  const g = globalThis as { setImmediate?: Immediate };
  const original = g.setImmediate;
  if (typeof original !== 'function' || process.env.AASP_DAWN_SPIN === '1') return false;
  let inPoll = false;
  let chainStart = 0;
  const paced: Immediate = function (cb, ...args) {
    if (!stats.pacing || !isNativeNoArg(cb)) return original(cb, ...args);
    const now = performance.now();
    if (!inPoll) chainStart = now;
    stats.polls++;
    const run = () => {
      inPoll = true;
      try { cb(); } finally { inPoll = false; }
    };
    if (now - chainStart < DAWN_SPIN_MS) return original(run);
    stats.delayed++;
    return setTimeout(run, 1);
  };
  g.setImmediate = Object.assign(paced, original);
  stats.installed = stats.pacing = true;
  return true;
}
