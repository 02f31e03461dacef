/**
 * YAML as kubectl prints it: sigs.k8s.io/yaml (JSON -> go-yaml v2). Map keys in go-yaml's
 * "natural" order, block sequences not indented under their key, strings quoted only when
 * they would resolve to another type or cannot be plain, long scalars folded once the column
 * passes 80, multi-line strings as literal blocks.
 */

// ---- key order (gopkg.in/yaml.v2 sorter.go) ----
const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** JSON keys are always strings, so yaml.v2's numeric-key branch never applies. */
export function naturalLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ca = ar[i] as string;
    const cb = br[i] as string;
    if (ca === cb) continue;
    const al = isLetter(ca);
    const bl = isLetter(cb);
    if (al && bl) return ca < cb;
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ca === '0' || cb === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j] as string); j--) {
        if (ar[j] !== '0') { an = 1; bn = 1; break; }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai] as string); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi] as string); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ca < cb;
  }
  return ar.length < br.length;
}

export function naturalSort(keys: string[]): string[] {
  return [...keys].sort((x, y) => (naturalLess(x, y) ? -1 : naturalLess(y, x) ? 1 : 0));
}

// ---- resolve (would this plain scalar read back as something other than a string?) ----
const RESOLVE_WORDS = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
  '<<',
]);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const GO_INT = /^[-+]?(0[bB][01](_?[01])*|0[oO]?[0-7](_?[0-7])*|0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|[0-9](_?[0-9])*)$/;
const TIMESTAMP = [
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|[ \t]+)\d{1,2}:\d{2}:\d{2}(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d{1,2}(?::\d{2})?))?$/,
  /^\d{4}-\d{1,2}-\d{1,2}$/,
];

function resolvesToNonString(s: string): boolean {
  if (RESOLVE_WORDS.has(s)) return true;
  const c = s.charAt(0);
  if (!(isDigit(c) || c === '+' || c === '-' || c === '.')) return false;
  if (GO_INT.test(s)) return true;
  const plain = s.replace(/_/g, '');
  if (GO_INT.test(plain)) return true;
  if (YAML_FLOAT.test(plain)) return true;
  if (/^-?0[bB][01]+$/.test(plain)) return true;
  if (TIMESTAMP.some((r) => r.test(s))) return true;
  return false;
}

// ---- scalar analysis (libyaml yaml_emitter_analyze_scalar) ----
interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isBreakCh = (c: string): boolean => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isBlankz = (c: string | undefined): boolean => c === undefined || c === ' ' || c === '\t' || isBreakCh(c) || c === '\0';

function isPrintable(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || cp === 0x85 || (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function analyze(value: string): Analysis {
  if (value.length === 0) return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const ch = [...value];
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankz(ch[1]);
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i] as string;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      if ((c === '?' || c === ':') && followedByWhitespace) blockIndicators = true;
      if (c === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === ':' && followedByWhitespace) blockIndicators = true;
      if (c === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreakCh(c)) lineBreaks = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === ch.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true; previousBreak = false;
    } else if (isBreakCh(c)) {
      if (i === 0) leadingBreak = true;
      if (i === ch.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false; previousBreak = true;
    } else {
      previousSpace = false; previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
    followedByWhitespace = isBlankz(ch[i + 2]);
  }
  let blockPlainAllowed = true, singleQuotedAllowed = true, blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) { blockPlainAllowed = false; singleQuotedAllowed = false; }
  if (spaceBreak || special) { blockPlainAllowed = false; singleQuotedAllowed = false; blockAllowed = false; }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

// ---- writer ----
const BEST_WIDTH = 80;

class Out {
  buf = '';
  column = 0;
  put(s: string): void {
    for (const c of s) {
      this.buf += c;
      if (c === '\n') this.column = 0; else this.column++;
    }
  }
  indent(n: number): void {
    this.buf += '\n' + ' '.repeat(n);
    this.column = n;
  }
}

type Style = 'plain' | 'single' | 'double' | 'literal';

function chooseStyle(s: string, simpleKey: boolean): Style {
  let style: Style;
  if (s.includes('\n')) style = 'literal';
  else if (!resolvesToNonString(s) && !BASE60.test(s)) style = 'plain';
  else style = 'double';
  const a = analyze(s);
  if (style === 'plain') {
    if (!a.blockPlainAllowed) style = 'single';
    if (s.length === 0 && simpleKey) style = 'single';
  }
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
  return style;
}

function writePlain(o: Out, s: string, indent: number, allowBreaks: boolean): void {
  const ch = [...s];
  let spaces = false;
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i] as string;
    if (c === ' ') {
      if (allowBreaks && !spaces && o.column > BEST_WIDTH && ch[i + 1] !== ' ') o.indent(indent);
      else o.put(c);
      spaces = true;
    } else {
      o.put(c);
      spaces = false;
    }
  }
}

function writeSingle(o: Out, s: string, indent: number, allowBreaks: boolean): void {
  o.put("'");
  const ch = [...s];
  let spaces = false;
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i] as string;
    if (c === ' ') {
      if (allowBreaks && !spaces && o.column > BEST_WIDTH && i > 0 && i < ch.length - 1 && ch[i + 1] !== ' ') o.indent(indent);
      else o.put(c);
      spaces = true;
    } else {
      if (c === "'") o.put("'");
      o.put(c);
      spaces = false;
    }
  }
  o.put("'");
}

const ESCAPES: Record<number, string> = {
  0x0: '0', 0x7: 'a', 0x8: 'b', 0x9: 't', 0xa: 'n', 0xb: 'v', 0xc: 'f', 0xd: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

function writeDouble(o: Out, s: string, indent: number, allowBreaks: boolean): void {
  o.put('"');
  const ch = [...s];
  let spaces = false;
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i] as string;
    const cp = c.codePointAt(0) ?? 0;
    if (!isPrintable(c) || cp === 0xfeff || isBreakCh(c) || c === '"' || c === '\\') {
      o.put('\\');
      const e = ESCAPES[cp];
      if (e !== undefined) o.put(e);
      else if (cp <= 0xff) o.put('x' + cp.toString(16).toUpperCase().padStart(2, '0'));
      else if (cp <= 0xffff) o.put('u' + cp.toString(16).toUpperCase().padStart(4, '0'));
      else o.put('U' + cp.toString(16).toUpperCase().padStart(8, '0'));
      spaces = false;
    } else if (c === ' ') {
      if (allowBreaks && !spaces && o.column > BEST_WIDTH && i > 0 && i < ch.length - 1) {
        o.indent(indent);
        if (ch[i + 1] === ' ') o.put('\\');
      } else o.put(c);
      spaces = true;
    } else {
      o.put(c);
      spaces = false;
    }
  }
  o.put('"');
}

function writeLiteral(o: Out, s: string, indent: number): void {
  let hints = '';
  if (s.startsWith(' ') || s.startsWith('\n')) hints += '2';
  if (!s.endsWith('\n')) hints += '-';
  else if (s.length === 1 || s.endsWith('\n\n')) hints += '+';
  o.put('|' + hints);
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  for (const line of body.split('\n')) {
    if (line === '') { o.buf += '\n'; o.column = 0; } else { o.indent(indent); o.put(line); }
  }
}

function scalar(o: Out, s: string, indent: number, simpleKey: boolean): void {
  const style = chooseStyle(s, simpleKey);
  const allowBreaks = !simpleKey;
  if (style === 'plain') writePlain(o, s, indent, allowBreaks);
  else if (style === 'single') writeSingle(o, s, indent, allowBreaks);
  else if (style === 'double') writeDouble(o, s, indent, allowBreaks);
  else writeLiteral(o, s, indent);
}

function formatFloat(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  // strconv.FormatFloat(f, 'g', -1, 64)
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  return String(n);
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || typeof v !== 'object' ||
    (Array.isArray(v) && v.length === 0) || (!Array.isArray(v) && Object.keys(v as object).length === 0);
}

function scalarValue(o: Out, v: unknown, indent: number): void {
  if (v === null || v === undefined) o.put('null');
  else if (typeof v === 'boolean') o.put(v ? 'true' : 'false');
  else if (typeof v === 'number') o.put(Number.isInteger(v) && Math.abs(v) < 1e21 ? String(v) : formatFloat(v));
  else if (typeof v === 'string') scalar(o, v, indent, false);
  else if (Array.isArray(v)) o.put('[]');
  else o.put('{}');
}

function node(o: Out, v: unknown, indent: number): void {
  // called positioned where a block node starts (start of line at `indent`, or after "- ")
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (i > 0) o.indent(indent);
      o.put('-');
      if (isScalar(item)) { o.put(' '); scalarValue(o, item, indent + 2); } else { o.put(' '); node(o, item, indent + 2); }
    });
    return;
  }
  const m = v as Record<string, unknown>;
  const keys = naturalSort(Object.keys(m).filter((k) => m[k] !== undefined));
  keys.forEach((k, i) => {
    if (i > 0) o.indent(indent);
    scalar(o, k, indent, true);
    o.put(':');
    const val = m[k];
    if (isScalar(val)) {
      o.put(' ');
      scalarValue(o, val, indent + 2);
    } else if (Array.isArray(val)) {
      o.indent(indent);
      node(o, val, indent);
    } else {
      o.indent(indent + 2);
      node(o, val, indent + 2);
    }
  });
}

/** yaml.Marshal(obj) as kubectl does it; always ends with a newline. */
export function toGoYaml(v: unknown): string {
  const o = new Out();
  if (isScalar(v)) scalarValue(o, v, 0);
  else node(o, v, 0);
  return o.buf + '\n';
}
