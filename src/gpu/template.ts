/**
 * A tiny preprocessor for WGSL kernels that must be fully unrolled to be fast. WGSL has no macros, and
 * on CPU adapters (lavapipe) loops over register arrays are not unrolled by the driver: accumulators
 * then live in memory and a kernel runs 2-3x slower (measured on the 16x8 matmul block). So register
 * blocks are written once in the .wgsl file between directives and expanded here:
 *
 *   //#for r in 0..R        repeat the lines up to the matching //#end for r = 0 .. R-1
 *   //#if EXPR / //#else    keep one branch (EXPR is an integer expression; non-zero is true)
 *   //#end
 *   {{EXPR}}                replaced by the integer value of EXPR anywhere in a line
 *   //#include lib/NAME.wgsl [K=V ...]  the shared snippet shaders/lib/NAME.wgsl with its $K
 *                           placeholders replaced by V, once per kernel (it may hold directives itself)
 *   //#insert NAME          the generated text `inserts[NAME]` (e.g. the op switch built from a table)
 *
 * EXPR: integers, parameter and loop-variable names, + - * / % ( ), comparisons == != < <= > >=,
 * && || and !. Division is integer division. No eval: this also runs in a browser under a strict CSP.
 */
import erfLib from '../../shaders/lib/erf.wgsl?raw';
import treeReduceLib from '../../shaders/lib/tree_reduce.wgsl?raw';
import indexLib from '../../shaders/lib/index.wgsl?raw';
import batchLib from '../../shaders/lib/batch.wgsl?raw';
import unravelLib from '../../shaders/lib/unravel.wgsl?raw';
import matmulVec4Lib from '../../shaders/lib/matmul_vec4.wgsl?raw';
import sbluMathLib from '../../shaders/lib/sblu_math.wgsl?raw';
import sbluBindingsLib from '../../shaders/lib/sblu_bindings.wgsl?raw';

export type TemplateParams = Record<string, number>;

/** shaders/lib/*.wgsl by the path an `//#include` names (bundled as text, browser build included). */
const LIB: Record<string, string> = {
  'lib/erf.wgsl': erfLib,
  'lib/tree_reduce.wgsl': treeReduceLib,
  'lib/index.wgsl': indexLib,
  'lib/batch.wgsl': batchLib,
  'lib/unravel.wgsl': unravelLib,
  'lib/matmul_vec4.wgsl': matmulVec4Lib,
  'lib/sblu_math.wgsl': sbluMathLib,
  'lib/sblu_bindings.wgsl': sbluBindingsLib,
};

type Tok = { k: 'num'; v: number } | { k: 'id'; v: string } | { k: 'op'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(\d+|[A-Za-z_]\w*|==|!=|<=|>=|&&|\|\||[-+*/%()<>!])/y;
  let i = 0;
  while (i < s.length) {
    if (/^\s*$/.test(s.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new Error(`template: cannot parse expression "${s}"`);
    const t = m[1];
    if (/^\d/.test(t)) out.push({ k: 'num', v: Number(t) });
    else if (/^[A-Za-z_]/.test(t)) out.push({ k: 'id', v: t });
    else out.push({ k: 'op', v: t });
    i = re.lastIndex;
  }
  return out;
}

const PREC: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };

/** Evaluate an integer expression over `env` (precedence climbing). */
export function evalExpr(src: string, env: TemplateParams): number {
  const toks = tokenize(src);
  let p = 0;
  const primary = (): number => {
    const t = toks[p++];
    if (!t) throw new Error(`template: unexpected end of "${src}"`);
    if (t.k === 'num') return t.v;
    if (t.k === 'id') {
      if (!(t.v in env)) throw new Error(`template: unknown name "${t.v}" in "${src}"`);
      return env[t.v];
    }
    if (t.v === '(') { const v = binary(0); p++; return v; }
    if (t.v === '-') return -primary();
    if (t.v === '!') return primary() ? 0 : 1;
    throw new Error(`template: unexpected "${t.v}" in "${src}"`);
  };
  const binary = (minPrec: number): number => {
    let lhs = primary();
    for (;;) {
      const t = toks[p];
      if (!t || t.k !== 'op' || !(t.v in PREC) || PREC[t.v] < minPrec) return lhs;
      p++;
      const rhs = binary(PREC[t.v] + 1);
      switch (t.v) {
        case '+': lhs += rhs; break;
        case '-': lhs -= rhs; break;
        case '*': lhs *= rhs; break;
        case '/': lhs = Math.trunc(lhs / rhs); break;
        case '%': lhs %= rhs; break;
        case '==': lhs = +(lhs === rhs); break;
        case '!=': lhs = +(lhs !== rhs); break;
        case '<': lhs = +(lhs < rhs); break;
        case '<=': lhs = +(lhs <= rhs); break;
        case '>': lhs = +(lhs > rhs); break;
        case '>=': lhs = +(lhs >= rhs); break;
        case '&&': lhs = +(!!lhs && !!rhs); break;
        case '||': lhs = +(!!lhs || !!rhs); break;
      }
    }
  };
  const v = binary(0);
  if (p !== toks.length) throw new Error(`template: trailing tokens in "${src}"`);
  return v;
}

interface Block { kind: 'text'; line: string }
interface ForBlock { kind: 'for'; v: string; from: string; to: string; body: Node[] }
interface IfBlock { kind: 'if'; cond: string; then: Node[]; else: Node[] }
type Node = Block | ForBlock | IfBlock;

function parse(lines: string[]): Node[] {
  const root: Node[] = [];
  const stack: { nodes: Node[]; owner: ForBlock | IfBlock | null; inElse: boolean }[] = [{ nodes: root, owner: null, inElse: false }];
  for (const line of lines) {
    const d = /^\s*\/\/#(for|if|else|end)\b\s*(.*)$/.exec(line);
    const top = stack[stack.length - 1];
    if (!d) { top.nodes.push({ kind: 'text', line }); continue; }
    const [, kw, rest] = d;
    if (kw === 'for') {
      const m = /^(\w+)\s+in\s+(.+?)\.\.(.+)$/.exec(rest.trim());
      if (!m) throw new Error(`template: bad #for "${rest}"`);
      const b: ForBlock = { kind: 'for', v: m[1], from: m[2], to: m[3], body: [] };
      top.nodes.push(b);
      stack.push({ nodes: b.body, owner: b, inElse: false });
    } else if (kw === 'if') {
      const b: IfBlock = { kind: 'if', cond: rest.trim(), then: [], else: [] };
      top.nodes.push(b);
      stack.push({ nodes: b.then, owner: b, inElse: false });
    } else if (kw === 'else') {
      if (top.owner?.kind !== 'if' || top.inElse) throw new Error('template: #else without #if');
      top.nodes = top.owner.else;
      top.inElse = true;
    } else {
      if (stack.length === 1) throw new Error('template: #end without #for/#if');
      stack.pop();
    }
  }
  if (stack.length !== 1) throw new Error('template: unterminated #for/#if');
  return root;
}

function emit(nodes: Node[], env: TemplateParams, out: string[]): void {
  for (const n of nodes) {
    if (n.kind === 'text') out.push(n.line.replace(/\{\{(.+?)\}\}/g, (_, e: string) => String(evalExpr(e, env))));
    else if (n.kind === 'if') emit(evalExpr(n.cond, env) ? n.then : n.else, env, out);
    else {
      const a = evalExpr(n.from, env), b = evalExpr(n.to, env);
      for (let i = a; i < b; i++) emit(n.body, { ...env, [n.v]: i }, out);
    }
  }
}

/**
 * Splice `//#include` and `//#insert` lines (recursively). An include may name values for the
 * library's `$NAME` placeholders (`//#include lib/tree_reduce.wgsl FN=row_sum T=f32 COMBINE=a+b`);
 * each library file is spliced once per distinct set of values.
 */
function splice(lines: string[], inserts: Record<string, string>, seen: Set<string>, out: string[]): string[] {
  for (const line of lines) {
    const d = /^\s*\/\/#(include|insert)\s+(\S+)((?:\s+\w+=\S+)*)\s*$/.exec(line);
    if (!d) { out.push(line); continue; }
    const [, kw, name, argText] = d;
    if (kw === 'include') {
      const lib = LIB[name];
      if (lib === undefined) throw new Error(`template: unknown include "${name}" (known: ${Object.keys(LIB).join(', ')})`);
      const key = `${name}${argText}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const args = Object.fromEntries(argText.trim().split(/\s+/).filter(Boolean).map((a) => a.split(/=(.*)/s).slice(0, 2)));
      const text = lib.replace(/\$([A-Z][A-Z0-9]*)/g, (_, k: string) => {
        if (!(k in args)) throw new Error(`template: ${name} needs a value for $${k}`);
        return args[k];
      });
      splice(text.split('\n'), inserts, seen, out);
    } else {
      const text = inserts[name];
      if (text === undefined) throw new Error(`template: nothing given for #insert ${name}`);
      out.push(...text.split('\n'));
    }
  }
  return out;
}

/**
 * Expand a WGSL template with the given integer parameters, library includes and generated inserts.
 * A file without directives comes back unchanged.
 */
export function expandTemplate(source: string, params: TemplateParams = {}, inserts: Record<string, string> = {}): string {
  const out: string[] = [];
  emit(parse(splice(source.split('\n'), inserts, new Set(), [])), params, out);
  return out.join('\n');
}
