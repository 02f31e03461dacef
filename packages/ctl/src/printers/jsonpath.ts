/**
 * The subset of kubectl's JSONPath templates people use: text, {.a.b}, {.a[0]}, {.a[*].b},
 * {.a['k.with.dots']}, {.a[1:3]}, {..name}, {.a[?(@.k=="v")]}, {"literal"}, {range ...}{end}.
 * Missing keys print nothing (kubectl sets AllowMissingKeys for get). Several results of one
 * expression are separated by a space; maps and lists print as compact Go JSON.
 */
import { goJson } from './gojson';

type Step =
  | { t: 'field'; name: string }
  | { t: 'index'; i: number }
  | { t: 'slice'; start?: number; end?: number }
  | { t: 'wild' }
  | { t: 'recursive'; name: string }
  | { t: 'filter'; path: Step[]; op?: string; value?: unknown };

type Node =
  | { t: 'text'; s: string }
  | { t: 'path'; steps: Step[] }
  | { t: 'range'; steps: Step[]; body: Node[] };

export class JsonPathError extends Error {}

function parsePath(src: string): Step[] {
  let s = src.trim();
  if (s.startsWith('$')) s = s.slice(1);
  else if (s.startsWith('@')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  const ident = (): string => {
    let name = '';
    while (i < s.length && !'.[]'.includes(s.charAt(i))) {
      if (s.charAt(i) === '\\' && i + 1 < s.length) { name += s.charAt(i + 1); i += 2; continue; }
      name += s.charAt(i++);
    }
    return name;
  };
  while (i < s.length) {
    const c = s.charAt(i);
    if (c === '.') {
      if (s.charAt(i + 1) === '.') {
        i += 2;
        steps.push({ t: 'recursive', name: ident() });
        continue;
      }
      i++;
      if (s.charAt(i) === '*') { i++; steps.push({ t: 'wild' }); continue; }
      const name = ident();
      if (name !== '') steps.push({ t: 'field', name });
    } else if (c === '[') {
      const close = findClose(s, i);
      const inner = s.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') steps.push({ t: 'wild' });
      else if (/^'.*'$|^".*"$/.test(inner)) {
        for (const part of inner.split(/\s*,\s*/)) steps.push({ t: 'field', name: part.slice(1, -1) });
      } else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1)));
      else if (inner.includes(':')) {
        const [a, b] = inner.split(':');
        steps.push({ t: 'slice', start: a ? Number(a) : undefined, end: b ? Number(b) : undefined });
      } else if (/^-?\d+$/.test(inner)) steps.push({ t: 'index', i: Number(inner) });
      else throw new JsonPathError(`invalid array index ${inner}`);
    } else {
      const name = ident();
      if (name === '') throw new JsonPathError(`unrecognized character in action: ${c}`);
      steps.push({ t: 'field', name });
    }
  }
  return steps;
}

function findClose(s: string, open: number): number {
  let depth = 0;
  let quote = '';
  for (let j = open; j < s.length; j++) {
    const c = s.charAt(j);
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']') { depth--; if (depth === 0) return j; }
  }
  throw new JsonPathError('unterminated array');
}

function parseFilter(expr: string): Step {
  const m = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(expr.trim());
  if (!m) return { t: 'filter', path: parsePath(expr.trim()) };
  const raw = (m[3] ?? '').trim();
  let value: unknown = raw;
  if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  return { t: 'filter', path: parsePath(m[1] ?? '@'), op: m[2], value };
}

function unquoteLiteral(s: string): string {
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

export function parseTemplate(tpl: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < tpl.length) {
    const open = tpl.indexOf('{', i);
    const cur = stack[stack.length - 1] as Node[];
    if (open < 0) { cur.push({ t: 'text', s: tpl.slice(i) }); break; }
    if (open > i) cur.push({ t: 'text', s: tpl.slice(i, open) });
    // find the matching close brace, skipping quoted strings
    let j = open + 1;
    let quote = '';
    for (; j < tpl.length; j++) {
      const c = tpl.charAt(j);
      if (quote) { if (c === '\\') { j++; continue; } if (c === quote) quote = ''; continue; }
      if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (j >= tpl.length) throw new JsonPathError(`unclosed action`);
    const inner = tpl.slice(open + 1, j).trim();
    i = j + 1;
    if (inner === 'end') {
      if (stack.length < 2) throw new JsonPathError('not in range, nothing to end');
      stack.pop();
    } else if (inner.startsWith('range ')) {
      const node: Node = { t: 'range', steps: parsePath(inner.slice(6)), body: [] };
      cur.push(node);
      stack.push(node.body);
    } else if (/^".*"$|^'.*'$/s.test(inner)) {
      cur.push({ t: 'text', s: unquoteLiteral(inner.startsWith("'") ? JSON.stringify(inner.slice(1, -1)) : inner) });
    } else {
      cur.push({ t: 'path', steps: parsePath(inner) });
    }
  }
  if (stack.length > 1) throw new JsonPathError('unexpected EOF');
  return root;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==': return a === b || (a !== undefined && String(a) === String(b) && typeof b !== 'number') || Number(a) === b;
    case '!=': return !compare(a, '==', b);
    case '<': return Number(a) < Number(b);
    case '>': return Number(a) > Number(b);
    case '<=': return Number(a) <= Number(b);
    case '>=': return Number(a) >= Number(b);
    default: return false;
  }
}

function recurse(v: unknown, name: string, out: unknown[]): void {
  if (isObj(v)) {
    if (name === '' ) out.push(v);
    else if (name in v) out.push(v[name]);
    for (const k of Object.keys(v).sort()) recurse(v[k], name, out);
  } else if (Array.isArray(v)) {
    for (const x of v) recurse(x, name, out);
  }
}

export function evalPath(steps: Step[], roots: unknown[]): unknown[] {
  let cur = roots;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      switch (st.t) {
        case 'field':
          if (isObj(v) && st.name in v) next.push(v[st.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = st.i < 0 ? v.length + st.i : st.i;
            if (idx < 0 || idx >= v.length) throw new JsonPathError(`array index out of bounds: index ${st.i}, length ${v.length}`);
            next.push(v[idx]);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(st.start ?? 0, st.end ?? v.length));
          break;
        case 'wild':
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) for (const k of Object.keys(v).sort()) next.push(v[k]);
          break;
        case 'recursive':
          recurse(v, st.name, next);
          break;
        case 'filter':
          if (Array.isArray(v)) {
            for (const item of v) {
              const r = evalPath(st.path, [item]);
              if (st.op === undefined ? r.length > 0 : r.some((x) => compare(x, st.op as string, st.value))) next.push(item);
            }
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return goJson(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  return String(v);
}

function execute(nodes: Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.s;
    else if (n.t === 'path') out += evalPath(n.steps, [data]).map(text).join(' ');
    else for (const item of evalPath(n.steps, [data])) out += execute(n.body, item);
  }
  return out;
}

export function jsonpath(template: string, data: unknown): string {
  return execute(parseTemplate(template), data);
}

/** kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}`, `{.a.b}` all mean `{.a.b}`. */
export function relaxedJsonPath(expr: string): string {
  if (expr === '') return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) throw new JsonPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
  return `{.${m[1] ?? m[2] ?? ''}}`;
}

/** The values the first expression of a template selects (JSONPath.FindResults, missing keys allowed). */
export function findValues(template: string, data: unknown): unknown[] {
  const out: unknown[] = [];
  for (const n of parseTemplate(template)) {
    if (n.t === 'path') out.push(...evalPath(n.steps, [data]));
  }
  return out;
}

/** Go's fmt `%v` of a decoded JSON value (maps as `map[k:v]`, slices as `[a b]`). */
export function goFormatV(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormatV).join(' ')}]`;
  if (typeof v === 'object') return `map[${Object.keys(v).sort().map((k) => `${k}:${goFormatV((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  return String(v);
}

/** kubectl's isLess for two decoded JSON values. */
export function jsonLess(a: unknown, b: unknown): boolean {
  // kubectl 1.32 compares strings bytewise (b10 < b9), checked against the real kubectl
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return !a && b;
  if (a === null || a === undefined) return b !== null && b !== undefined;
  return false;
}

/**
 * Sorts like kubectl's sorters: a row whose field is missing sorts first; stable for equal keys.
 * Undefined when no item has the field (kubectl then prints nothing, as for an empty list).
 */
export function sortByJsonPath<T>(items: T[], field: string, objectOf: (t: T) => unknown): T[] | undefined {
  const tpl = relaxedJsonPath(field);
  const keyed = items.map((it) => ({ it, v: findValues(tpl, objectOf(it)) }));
  if (keyed.length > 0 && keyed.every((k) => k.v.length === 0)) return undefined;
  const less = (x: unknown[], y: unknown[]): boolean => {
    if (x.length === 0) return true;
    if (y.length === 0) return false;
    return jsonLess(x[0], y[0]);
  };
  // insertion sort: what Go's sort.Sort does for short inputs, and stable
  for (let i = 1; i < keyed.length; i++) {
    for (let j = i; j > 0 && less((keyed[j] as { v: unknown[] }).v, (keyed[j - 1] as { v: unknown[] }).v); j--) {
      const t = keyed[j] as { it: T; v: unknown[] };
      keyed[j] = keyed[j - 1] as { it: T; v: unknown[] };
      keyed[j - 1] = t;
    }
  }
  return keyed.map((k) => k.it);
}
