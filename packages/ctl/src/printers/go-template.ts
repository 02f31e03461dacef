/**
 * A subset of Go's text/template, as `kubectl get -o go-template=...` runs it on the object
 * decoded from JSON (so every number is a float64): `{{.a.b}}`, `$`, variables, `if`/`else if`/
 * `else`, `range` (with `$i, $e :=`, and `else`), `with`, pipelines, parentheses, comments,
 * `{{-`/`-}}` trimming, and the functions index, len, printf, print, println, not, and, or,
 * eq, ne, lt, le, gt, ge, base64decode.
 */

export class GoTemplateError extends Error {}

type Value = unknown;

// ---- lexing and parsing ----

type Tok =
  | { t: 'field'; path: string[] } // .a.b (path [] is `.`)
  | { t: 'var'; name: string; path: string[] } // $x.a
  | { t: 'ident'; name: string }
  | { t: 'str'; v: string }
  | { t: 'num'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'nil' }
  | { t: 'pipe' }
  | { t: 'lparen' }
  | { t: 'rparen' }
  | { t: 'decl' } // :=
  | { t: 'assign' } // =
  | { t: 'comma' };

type Expr =
  | { e: 'field'; path: string[] }
  | { e: 'var'; name: string; path: string[] }
  | { e: 'lit'; v: Value }
  | { e: 'call'; fn: string; args: Expr[] }
  | { e: 'pipe'; cmds: Expr[][] } // each command: first is the operand/function, rest args; later commands get the previous value appended
  | { e: 'sub'; pipe: Pipeline; path: string[] };

interface Pipeline { decl: string[]; assign: boolean; cmds: Expr[][] }

type Node =
  | { n: 'text'; v: string }
  | { n: 'action'; p: Pipeline }
  | { n: 'if'; p: Pipeline; then: Node[]; else: Node[] }
  | { n: 'range'; p: Pipeline; body: Node[]; else: Node[] }
  | { n: 'with'; p: Pipeline; body: Node[]; else: Node[] };

function lexAction(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const path = (): string[] => {
    const parts: string[] = [];
    while (src[i] === '.' && /[A-Za-z0-9_]/.test(src[i + 1] ?? '')) {
      i++;
      let s = '';
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i] as string)) s += src[i++];
      parts.push(s);
    }
    return parts;
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '|') { out.push({ t: 'pipe' }); i++; continue; }
    if (c === '(') { out.push({ t: 'lparen' }); i++; continue; }
    if (c === ')') {
      out.push({ t: 'rparen' });
      i++;
      if (src[i] === '.') out.push({ t: 'field', path: path() });
      continue;
    }
    if (c === ',') { out.push({ t: 'comma' }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { out.push({ t: 'decl' }); i += 2; continue; }
    if (c === '=') { out.push({ t: 'assign' }); i++; continue; }
    if (c === '.') {
      const p = path();
      if (p.length === 0) i++;
      out.push({ t: 'field', path: p });
      continue;
    }
    if (c === '$') {
      i++;
      let name = '$';
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i] as string)) name += src[i++];
      out.push({ t: 'var', name, path: path() });
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\\') {
          const n = src[j + 1];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '\\' ? '\\' : n === '"' ? '"' : `\\${n ?? ''}`;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new GoTemplateError('unterminated quoted string');
      out.push({ t: 'str', v: s });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new GoTemplateError('unterminated raw quoted string');
      out.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const num = /^[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|0x[0-9a-fA-F]+)/.exec(src.slice(i));
    if (num && /[\d+-]/.test(c)) {
      out.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      const w = id[0];
      if (w === 'true' || w === 'false') out.push({ t: 'bool', v: w === 'true' });
      else if (w === 'nil') out.push({ t: 'nil' });
      else out.push({ t: 'ident', name: w });
      i += w.length;
      continue;
    }
    throw new GoTemplateError(`unexpected "${c}" in command`);
  }
  return out;
}

class PipeParser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  pipeline(allowDecl: boolean): Pipeline {
    const decl: string[] = [];
    let assign = false;
    if (allowDecl) {
      // $x := ..., $i, $e := ...
      let j = 0;
      const names: string[] = [];
      while (this.toks[j]?.t === 'var' && (this.toks[j] as { path: string[] }).path.length === 0) {
        names.push((this.toks[j] as { name: string }).name);
        j++;
        if (this.toks[j]?.t === 'comma') { j++; continue; }
        break;
      }
      const op = this.toks[j]?.t;
      if (names.length && (op === 'decl' || op === 'assign')) {
        decl.push(...names);
        assign = op === 'assign';
        this.i = j + 1;
      }
    }
    const cmds: Expr[][] = [];
    for (;;) {
      const cmd: Expr[] = [];
      while (this.i < this.toks.length) {
        const t = this.toks[this.i] as Tok;
        if (t.t === 'pipe' || t.t === 'rparen') break;
        cmd.push(this.operand());
      }
      if (cmd.length === 0) throw new GoTemplateError('missing value for command');
      cmds.push(cmd);
      if (this.toks[this.i]?.t === 'pipe') { this.i++; continue; }
      break;
    }
    return { decl, assign, cmds };
  }

  private operand(): Expr {
    const t = this.toks[this.i++] as Tok;
    switch (t.t) {
      case 'field': return { e: 'field', path: t.path };
      case 'var': return { e: 'var', name: t.name, path: t.path };
      case 'str': return { e: 'lit', v: t.v };
      case 'num': return { e: 'lit', v: t.v };
      case 'bool': return { e: 'lit', v: t.v };
      case 'nil': return { e: 'lit', v: null };
      case 'ident':
        if (!FUNCS[t.name]) throw new GoTemplateError(`function "${t.name}" not defined`);
        return { e: 'call', fn: t.name, args: [] };
      case 'lparen': {
        const p = this.pipeline(false);
        if (this.toks[this.i]?.t !== 'rparen') throw new GoTemplateError('unclosed left paren');
        this.i++;
        let path: string[] = [];
        if (this.toks[this.i]?.t === 'field' && this.toks[this.i - 1]?.t === 'rparen') {
          path = (this.toks[this.i] as { path: string[] }).path;
          // a field right after `)` applies to the parenthesised value (lexed as its own token)
          if (path.length) this.i++;
        }
        return { e: 'sub', pipe: p, path };
      }
      default: throw new GoTemplateError(`unexpected ${t.t} in operand`);
    }
  }

  done(): boolean {
    return this.i >= this.toks.length;
  }
}

function parsePipeline(src: string, allowDecl: boolean): Pipeline {
  const p = new PipeParser(lexAction(src));
  const pipe = p.pipeline(allowDecl);
  if (!p.done()) throw new GoTemplateError('unexpected token in pipeline');
  return pipe;
}

interface RawAction { text: string }

/** Splits the template into text and actions, applying `{{-` / `-}}` trimming. */
function split(tpl: string): (string | RawAction)[] {
  const out: (string | RawAction)[] = [];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{{', i);
    if (open < 0) { out.push(tpl.slice(i)); break; }
    let text = tpl.slice(i, open);
    let start = open + 2;
    if (tpl[start] === '-' && /\s/.test(tpl[start + 1] ?? '')) { text = text.replace(/\s+$/, ''); start += 1; }
    if (text) out.push(text);
    if (tpl.startsWith('/*', start) || tpl.startsWith(' /*', start)) {
      const endC = tpl.indexOf('*/', start);
      const close = tpl.indexOf('}}', endC);
      if (endC < 0 || close < 0) throw new GoTemplateError('unclosed comment');
      let next = close + 2;
      if (tpl[close - 1] === '-' && /\s/.test(tpl[close - 2] ?? '')) next = skipSpace(tpl, next);
      i = next;
      continue;
    }
    const close = findClose(tpl, start);
    if (close < 0) throw new GoTemplateError('unclosed action');
    let body = tpl.slice(start, close);
    let next = close + 2;
    if (/\s-$/.test(body)) { body = body.slice(0, -1); next = skipSpace(tpl, next); }
    out.push({ text: body.trim() });
    i = next;
  }
  return out;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i] as string)) i++;
  return i;
}

function findClose(tpl: string, from: number): number {
  let i = from;
  while (i < tpl.length) {
    const c = tpl[i];
    if (c === '"') {
      i++;
      while (i < tpl.length && tpl[i] !== '"') i += tpl[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '`') { i = tpl.indexOf('`', i + 1) + 1; if (i === 0) return -1; continue; }
    if (tpl.startsWith('}}', i)) return i;
    i++;
  }
  return -1;
}

export function parseGoTemplate(tpl: string): Node[] {
  const items = split(tpl);
  let pos = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string; rest: string } => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const it = items[pos++] as string | RawAction;
      if (typeof it === 'string') { nodes.push({ n: 'text', v: it }); continue; }
      const m = /^(\w+)\b\s*(.*)$/s.exec(it.text);
      const kw = m?.[1] ?? '';
      const rest = m?.[2] ?? '';
      if (kw === 'end' || kw === 'else') {
        if (!ends.includes(kw)) throw new GoTemplateError(`unexpected {{${kw}}}`);
        return { nodes, end: kw, rest };
      }
      if (kw === 'if' || kw === 'range' || kw === 'with') {
        nodes.push(control(kw, rest));
        continue;
      }
      nodes.push({ n: 'action', p: parsePipeline(it.text, true) });
    }
    if (ends.length) throw new GoTemplateError('unexpected EOF');
    return { nodes, end: '', rest: '' };
  };
  const control = (kw: 'if' | 'range' | 'with', src: string): Node => {
    const p = parsePipeline(src, kw !== 'if');
    const body = block(['end', 'else']);
    let elseNodes: Node[] = [];
    if (body.end === 'else') {
      const chained = /^(if|with)\b\s*(.*)$/s.exec(body.rest);
      if (chained) elseNodes = [control(chained[1] as 'if' | 'with', chained[2] ?? '')];
      else elseNodes = block(['end']).nodes;
    }
    if (kw === 'if') return { n: 'if', p, then: body.nodes, else: elseNodes };
    return { n: kw, p, body: body.nodes, else: elseNodes };
  };
  return block([]).nodes;
}

// ---- evaluation ----

function truth(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Go's %v for values decoded from JSON (float64 numbers, map[string]interface{}, []interface{}). */
export function goV(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goV).join(' ')}]`;
  const o = v as Record<string, unknown>;
  return `map[${Object.keys(o).sort().map((k) => `${k}:${goV(o[k])}`).join(' ')}]`;
}

/** %v of a float64: strconv's shortest 'g' form, exponent when it is < -4 or >= 6 (`1e+06`). */
function goFloat(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [m, e] = f.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** fmt.Sprintf with the verbs templates use (%s %v %d %q %f %x %%, widths). */
export function goSprintf(format: string, args: Value[]): string {
  let ai = 0;
  return format.replace(/%([-+ #0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (all, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'v': case 's': s = goV(a); break;
      case 'd': s = typeof a === 'number' && Number.isInteger(a) ? String(a) : `%!d(${typeName(a)}=${goV(a)})`; break;
      case 'f': s = typeof a === 'number' ? a.toFixed(prec === undefined ? 6 : Number(prec)) : `%!f(${typeName(a)}=${goV(a)})`; break;
      case 'q': s = JSON.stringify(typeof a === 'string' ? a : goV(a)); break;
      case 'x': s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(goV(a)).toString('hex'); break;
      case 't': s = goV(a); break;
      default: return all;
    }
    if (width) s = flags.includes('-') ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  }) + (ai < args.length ? `%!(EXTRA ${args.slice(ai).map((a) => `${typeName(a)}=${goV(a)}`).join(', ')})` : '');
}

function typeName(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null || v === undefined) return '<nil>';
  return 'map[string]interface {}';
}

function cmp(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new GoTemplateError('incompatible types for comparison');
}

const FUNCS: Record<string, (args: Value[]) => Value> = {
  len: ([a]) => {
    if (typeof a === 'string' || Array.isArray(a)) return a.length;
    if (a && typeof a === 'object') return Object.keys(a).length;
    throw new GoTemplateError(`error calling len: len of type ${typeName(a)}`);
  },
  index: ([a, ...keys]) => {
    let cur = a;
    for (const k of keys) {
      if (Array.isArray(cur)) {
        if (typeof k !== 'number' || k < 0 || k >= cur.length) throw new GoTemplateError(`error calling index: index out of range: ${goV(k)}`);
        cur = cur[k];
      } else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[String(k)];
      else if (cur === undefined || cur === null) throw new GoTemplateError('error calling index: index of untyped nil');
      else throw new GoTemplateError(`error calling index: can't index item of type ${typeName(cur)}`);
    }
    return cur;
  },
  printf: ([f, ...rest]) => goSprintf(String(f ?? ''), rest),
  print: (args) => args.map((a, i) => ((i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') ? ' ' : '') + goV(a)).join(''),
  println: (args) => `${args.map(goV).join(' ')}\n`,
  not: ([a]) => !truth(a),
  and: (args) => { for (const a of args) if (!truth(a)) return a; return args[args.length - 1]; },
  or: (args) => { for (const a of args) if (truth(a)) return a; return args[args.length - 1]; },
  eq: ([a, ...bs]) => bs.some((b) => a === b),
  ne: ([a, b]) => a !== b,
  lt: ([a, b]) => cmp(a, b) < 0,
  le: ([a, b]) => cmp(a, b) <= 0,
  gt: ([a, b]) => cmp(a, b) > 0,
  ge: ([a, b]) => cmp(a, b) >= 0,
  base64decode: ([a]) => Buffer.from(String(a ?? ''), 'base64').toString('utf8'),
};

function fieldOf(v: Value, path: string[], what: string): Value {
  let cur = v;
  for (const k of path) {
    // kubectl's maps answer a missing key (and anything below it) with <no value>
    if (cur === undefined || cur === null) return undefined;
    if (typeof cur !== 'object' || Array.isArray(cur)) throw new GoTemplateError(`can't evaluate field ${k} in type ${typeName(cur)}`);
    cur = (cur as Record<string, unknown>)[k];
  }
  void what;
  return cur;
}

class Scope {
  private readonly vars: Map<string, Value>[];
  constructor(root: Value) { this.vars = [new Map([['$', root]])]; }
  push(): void { this.vars.push(new Map()); }
  pop(): void { this.vars.pop(); }
  set(name: string, v: Value): void { (this.vars[this.vars.length - 1] as Map<string, Value>).set(name, v); }
  assign(name: string, v: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]?.has(name)) { this.vars[i]?.set(name, v); return; }
    throw new GoTemplateError(`undefined variable: ${name}`);
  }
  get(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]?.has(name)) return this.vars[i]?.get(name);
    throw new GoTemplateError(`undefined variable: ${name}`);
  }
}

function evalArg(x: Expr, dot: Value, s: Scope): Value {
  switch (x.e) {
    case 'field': return fieldOf(dot, x.path, '.');
    case 'var': return fieldOf(s.get(x.name), x.path, x.name);
    case 'lit': return x.v;
    case 'sub': return fieldOf(evalPipe(x.pipe, dot, s), x.path, '()');
    case 'call': return callFn(x.fn, [], dot, s);
    default: throw new GoTemplateError('bad expression');
  }
}

function callFn(fn: string, args: Value[], _dot: Value, _s: Scope): Value {
  const f = FUNCS[fn];
  if (!f) throw new GoTemplateError(`function "${fn}" not defined`);
  return f(args);
}

function evalCmd(cmd: Expr[], dot: Value, s: Scope, prev: Value | typeof NONE): Value {
  const head = cmd[0] as Expr;
  if (head.e === 'call') {
    const args = cmd.slice(1).map((a) => evalArg(a, dot, s));
    if (prev !== NONE) args.push(prev);
    return callFn(head.fn, args, dot, s);
  }
  if (cmd.length > 1 || prev !== NONE) throw new GoTemplateError(`can't give argument to non-function ${describe(head)}`);
  return evalArg(head, dot, s);
}

function describe(x: Expr): string {
  if (x.e === 'field') return `.${x.path.join('.')}`;
  if (x.e === 'var') return x.name + x.path.map((p) => `.${p}`).join('');
  if (x.e === 'lit') return goV(x.v);
  return 'expression';
}

const NONE = Symbol('none');

function evalPipe(p: Pipeline, dot: Value, s: Scope): Value {
  let v: Value | typeof NONE = NONE;
  for (const cmd of p.cmds) v = evalCmd(cmd, dot, s, v);
  const val = v === NONE ? undefined : v;
  if (p.decl.length === 1) {
    if (p.assign) s.assign(p.decl[0] as string, val); else s.set(p.decl[0] as string, val);
  }
  return val;
}

function exec(nodes: Node[], dot: Value, s: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.n) {
      case 'text': out.push(n.v); break;
      case 'action': {
        const v = evalPipe(n.p, dot, s);
        if (n.p.decl.length === 0) out.push(goV(v));
        break;
      }
      case 'if': {
        s.push();
        const v = evalPipe(n.p, dot, s);
        exec(truth(v) ? n.then : n.else, dot, s, out);
        s.pop();
        break;
      }
      case 'with': {
        s.push();
        const v = evalPipe({ ...n.p, decl: [] }, dot, s);
        if (n.p.decl[0]) s.set(n.p.decl[0], v);
        if (truth(v)) exec(n.body, v, s, out); else exec(n.else, dot, s, out);
        s.pop();
        break;
      }
      case 'range': {
        s.push();
        const v = evalPipe({ ...n.p, decl: [] }, dot, s);
        const entries: [Value, Value][] = Array.isArray(v)
          ? v.map((e, i) => [i, e])
          : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])
            : typeof v === 'number' ? Array.from({ length: Math.max(0, Math.trunc(v)) }, (_, i) => [i, i])
              : v === undefined || v === null ? [] : (() => { throw new GoTemplateError(`range can't iterate over ${goV(v)}`); })();
        if (entries.length === 0) exec(n.else, dot, s, out);
        for (const [k, e] of entries) {
          s.push();
          if (n.p.decl.length === 1) s.set(n.p.decl[0] as string, e);
          if (n.p.decl.length === 2) { s.set(n.p.decl[0] as string, k); s.set(n.p.decl[1] as string, e); }
          exec(n.body, e, s, out);
          s.pop();
        }
        s.pop();
        break;
      }
    }
  }
}

/** Runs the template on data as kubectl does (the object round-tripped through JSON). */
export function goTemplate(tpl: string, data: unknown): string {
  const nodes = parseGoTemplate(tpl);
  const root = JSON.parse(JSON.stringify(data)) as Value;
  const out: string[] = [];
  exec(nodes, root, new Scope(root), out);
  return out.join('');
}

/** goTemplate with kubectl's error wording (`error executing template "<tpl>": ...`). */
export function runGoTemplate(tpl: string, data: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cliError } = require('../errors') as typeof import('../errors');
  let nodes: Node[];
  try {
    nodes = parseGoTemplate(tpl);
  } catch (e) {
    if (e instanceof GoTemplateError) throw cliError(`error parsing template ${tpl}, template: output:1: ${e.message}`);
    throw e;
  }
  try {
    const root = JSON.parse(JSON.stringify(data)) as Value;
    const out: string[] = [];
    exec(nodes, root, new Scope(root), out);
    return out.join('');
  } catch (e) {
    if (e instanceof GoTemplateError) throw cliError(`error executing template ${JSON.stringify(tpl)}: template: output: executing "output": ${e.message}`);
    throw e;
  }
}
