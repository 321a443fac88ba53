/**
 * Argument parsing shared by the evaluation CLIs: `--name value`, `--name=value`, boolean flags,
 * numbers and comma lists checked up front, so a typo fails at once with a message that names the
 * flag instead of after minutes of embedding. Parsing is platform-neutral (argv is passed in);
 * `runCli` is the Node-side wrapper that maps errors to exit codes.
 */

export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'numbers' | 'strings';

export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean | number[] | string[];
  /** Short placeholder in the usage text, e.g. PATH. */
  meta?: string;
}

export type FlagValue = string | number | boolean | number[] | string[] | undefined;

/** A usage problem: the CLI prints it with the usage text and exits with code 2. */
export class UsageError extends Error {
  constructor(msg: string) { super(msg); this.name = 'UsageError'; }
}

export interface Parsed {
  flags: Record<string, FlagValue>;
  positional: string[];
  help: boolean;
}

function convert(name: string, type: FlagType, raw: string): FlagValue {
  const num = (s: string, int: boolean): number => {
    const v = Number(s);
    if (s.trim() === '' || !Number.isFinite(v) || (int && !Number.isInteger(v))) throw new UsageError(`--${name}: "${s}" is not ${int ? 'an integer' : 'a number'}`);
    return v;
  };
  switch (type) {
    case 'string': return raw;
    case 'number': return num(raw, false);
    case 'int': return num(raw, true);
    case 'numbers': return raw.split(',').filter((s) => s !== '').map((s) => num(s, false));
    case 'strings': return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'boolean': {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new UsageError(`--${name}: "${raw}" is not true/false`);
    }
  }
}

/** Parse argv (without node and script). Unknown flags and missing values are UsageErrors. */
export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const flags: Record<string, FlagValue> = {};
  for (const [k, s] of Object.entries(spec)) flags[k] = s.default;
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a === '-h' || a === '--help') { help = true; continue; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    let name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let negated = false;
    if (!(name in spec) && name.startsWith('no-') && spec[name.slice(3)]?.type === 'boolean') { name = name.slice(3); negated = true; }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}${Object.keys(spec).length ? ` (known: ${Object.keys(spec).map((k) => `--${k}`).join(', ')})` : ': this command takes none'}`);
    if (s.type === 'boolean' && eq < 0) { flags[name] = !negated; continue; }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      raw = argv[++i];
    }
    const v = convert(name, s.type, raw);
    flags[name] = negated ? !v : v;
  }
  return { flags, positional, help };
}

/** The usage text: a synopsis line, then one line per flag with its default. */
export function usage(synopsis: string, spec: Record<string, FlagSpec>): string {
  const lines = [`usage: ${synopsis}`, '', 'options:'];
  const left = Object.entries(spec).map(([k, s]) => `  --${k}${s.type === 'boolean' ? '' : ` ${s.meta ?? s.type.toUpperCase()}`}`);
  const w = Math.max(...left.map((l) => l.length)) + 2;
  Object.entries(spec).forEach(([, s], i) => {
    const def = s.default === undefined || s.default === false ? '' : ` (default ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    lines.push(`${left[i].padEnd(w)}${s.help}${def}`);
  });
  lines.push(`${'  -h, --help'.padEnd(w)}show this text`);
  return lines.join('\n');
}

/** Typed accessors that fail with the flag's name (the spec guarantees the type, not presence). */
export const get = {
  str: (p: Parsed, k: string): string | undefined => p.flags[k] as string | undefined,
  num: (p: Parsed, k: string): number => {
    const v = p.flags[k];
    if (typeof v !== 'number') throw new UsageError(`--${k} is required`);
    return v;
  },
  /** A number flag without a default: undefined when not given. */
  optNum: (p: Parsed, k: string): number | undefined => p.flags[k] as number | undefined,
  bool: (p: Parsed, k: string): boolean => p.flags[k] === true,
  nums: (p: Parsed, k: string): number[] | undefined => p.flags[k] as number[] | undefined,
  strs: (p: Parsed, k: string): string[] | undefined => p.flags[k] as string[] | undefined,
  /** A string flag that must be one of `choices` (a usage error naming the flag and the choices otherwise). */
  oneOf: <T extends string>(p: Parsed, k: string, choices: readonly T[]): T => {
    const v = p.flags[k] as string | undefined;
    if (v === undefined || !(choices as readonly string[]).includes(v)) throw new UsageError(`--${k}: unknown value ${v ?? '(none)'} (known: ${choices.join(', ')})`);
    return v as T;
  },
};

/**
 * Run a CLI main: UsageError → one line naming the problem + exit 2 (`--help` prints the usage); a bad config or checkpoint (ConfigError,
 * CheckpointError, e.g. NaN/Inf weights) → message + exit 2; other errors → message + exit 1.
 */
export function runCli(main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (e: unknown) => {
      const name = (e as Error)?.name;
      if (e instanceof UsageError || name === 'ConfigError' || name === 'CheckpointError') {
        // One line: what was wrong, and for a usage problem where the full usage is.
        console.error(`error: ${(e as Error).message}${e instanceof UsageError ? ' (see --help)' : ''}`);
        process.exit(2);
      }
      // A message is enough for the user; the stack helps only when debugging (AASP_DEBUG=1).
      console.error(`error: ${process.env.AASP_DEBUG ? (e as Error)?.stack ?? e : (e as Error)?.message ?? e}`);
      process.exit(1);
    },
  );
}
