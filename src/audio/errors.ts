/**
 * Error raised for any audio file that cannot be turned into finite samples.
 * It carries the file name and a short machine-friendly reason so that data loaders can report
 * and skip bad files instead of aborting a long run.
 */
export class AudioDecodeError extends Error {
  /** The path (or other name) of the offending input. */
  readonly path: string;
  /** Short reason, e.g. "truncated: data chunk declares 4096 bytes, 100 present". */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'AudioDecodeError';
    this.path = path;
    this.reason = reason;
  }
}
