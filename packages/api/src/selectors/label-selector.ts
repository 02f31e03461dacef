/**
 * Label selectors: the string form (`a=b,c!=d,e in (x,y),!f`) and the LabelSelector object
 * (matchLabels + matchExpressions), both turned into one matcher with Kubernetes' semantics,
 * errors and string form (labels.Selector.String(), metav1.FormatLabelSelector).
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { isQualifiedName, isValidLabelValue } from '../validation/name-rules';
import { goQuote, goStringSlice } from '../validation/go-format';

export type LabelSelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, unknown>> | null | undefined;

/** A label selector that cannot be parsed or converted; the message is the one Kubernetes gives. */
export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

function lookup(labels: Labels, key: string): string | undefined {
  if (!labels || typeof labels !== 'object' || !Object.prototype.hasOwnProperty.call(labels, key)) return undefined;
  const v = labels[key];
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : String(v);
}

function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(1n << 63n) && n < (1n << 63n) ? n : undefined;
}

export function requirementMatches(r: LabelRequirement, labels: Labels): boolean {
  const val = lookup(labels, r.key);
  switch (r.operator) {
    case 'in': case '=': case '==':
      return val !== undefined && r.values.includes(val);
    case 'notin': case '!=':
      return val === undefined || !r.values.includes(val);
    case 'exists':
      return val !== undefined;
    case '!':
      return val === undefined;
    case 'gt': case 'lt': {
      if (val === undefined || r.values.length !== 1) return false;
      const have = parseInt64(val);
      const want = parseInt64(r.values[0] as string);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

export function requirementToString(r: LabelRequirement): string {
  let s = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case '=': case '==': case '!=': s += r.operator; break;
    case 'in': s += ' in '; break;
    case 'notin': s += ' notin '; break;
    case 'gt': s += '>'; break;
    case 'lt': s += '<'; break;
    case 'exists': case '!': return s;
  }
  const values = r.values.length === 1 ? (r.values[0] as string) : [...r.values].sort().join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${s}(${values})` : s + values;
}

/** A parsed selector: all requirements must match. */
export class LabelMatcher {
  private constructor(
    readonly requirements: readonly LabelRequirement[],
    private readonly nothing: boolean,
  ) {}

  /** Matches every set of labels (an empty selector). */
  static everything(): LabelMatcher {
    return new LabelMatcher([], false);
  }

  /** Matches no labels at all (an absent LabelSelector). */
  static nothing(): LabelMatcher {
    return new LabelMatcher([], true);
  }

  /** Requirements are sorted by key (stably), as Kubernetes sorts them. */
  static of(requirements: readonly LabelRequirement[]): LabelMatcher {
    const sorted = requirements.map((r, i) => ({ r, i })).sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i)).map((x) => x.r);
    return new LabelMatcher(sorted, false);
  }

  matches(labels: Labels): boolean {
    if (this.nothing) return false;
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  /** True for the select-everything selector (Kubernetes' Selector.Empty()). */
  isEmpty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  matchesNothing(): boolean {
    return this.nothing;
  }

  /** Kubernetes' Selector.String(): `a=b,c in (x,y),!d`; empty for everything and nothing. */
  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
}

// ---- validation of one requirement, as labels.NewRequirement reports it -------------

function fieldError(path: string, body: string): string {
  return `${path}: ${body}`;
}

function aggregate(errs: string[]): string | undefined {
  if (errs.length === 0) return undefined;
  const unique = [...new Set(errs)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

function keyError(path: string, key: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length ? fieldError(path, `Invalid value: ${goQuote(key)}: ${errs.join('; ')}`) : undefined;
}

/** Returns the aggregated error text for an invalid requirement, or undefined. */
function checkRequirement(key: string, op: string, values: readonly string[]): string | undefined {
  const errs: string[] = [];
  const k = keyError('key', key);
  if (k) errs.push(k);
  const vals = goStringSlice(values);
  switch (op) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(fieldError('values', `Invalid value: ${vals}: for 'in', 'notin' operators, values set can't be empty`));
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(fieldError('values', `Invalid value: ${vals}: exact-match compatibility requires one single value`));
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(fieldError('values', `Invalid value: ${vals}: values set must be empty for exists and does not exist`));
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(fieldError('values', `Invalid value: ${vals}: for 'Gt', 'Lt' operators, exactly one value is required`));
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) errs.push(fieldError(`values[${i}]`, `Invalid value: ${goQuote(v)}: for 'Gt', 'Lt' operators, the value must be an integer`));
      });
      break;
    default:
      errs.push(fieldError('operator', `Unsupported value: ${goQuote(op)}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`));
  }
  values.forEach((v, i) => {
    const m = isValidLabelValue(v);
    if (m.length) errs.push(fieldError(`values[${i}][${key}]`, `Invalid value: ${goQuote(v)}: ${m.join('; ')}`));
  });
  return aggregate(errs);
}

function requirement(key: string, operator: LabelSelectorOperator, values: string[]): LabelRequirement {
  const err = checkRequirement(key, operator, values);
  if (err) throw new LabelSelectorError(err);
  return { key, operator, values };
}

// ---- the string form ----------------------------------------------------------------

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
interface Item { tok: Tok; lit: string }

const KEYWORDS: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(' };
const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos] as string)) pos++;
    if (pos >= s.length) { items.push({ tok: 'eos', lit: '' }); return items; }
    const c = s[pos] as string;
    if (isSpecial(c)) {
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos] as string)) {
        const next = buf + (s[pos] as string);
        const tok = KEYWORDS[next];
        if (tok) { last = { tok, lit: next }; buf = next; pos++; } else if (last) break; else { buf = next; pos++; }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      while (pos < s.length && !isSpecial(s[pos] as string) && !isWhitespace(s[pos] as string)) buf += s[pos++];
      const kw = KEYWORDS[buf];
      items.push({ tok: kw === 'in' || kw === 'notin' ? kw : 'id', lit: buf });
    }
  }
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  private pos = 0;
  constructor(private readonly items: Item[]) {}

  /** In a value context, `in` and `notin` are plain identifiers. */
  private look(values: boolean): Item {
    const it = this.items[Math.min(this.pos, this.items.length - 1)] as Item;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private take(values: boolean): Item {
    const it = this.look(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === 'eos') return out;
      if (tok !== 'id' && tok !== '!') throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      try {
        out.push(this.requirement());
      } catch (e) {
        throw new LabelSelectorError(`unable to parse requirement: ${(e as Error).message}`);
      }
      const sep = this.take(true);
      if (sep.tok === 'eos') return out;
      if (sep.tok !== ',') throw new LabelSelectorError(`found '${sep.lit}', expected: ',' or 'end of string'`);
      const next = this.look(true);
      if (next.tok !== 'id' && next.tok !== '!') throw new LabelSelectorError(`found '${next.lit}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let it = this.take(true);
    if (it.tok === '!') { negated = true; it = this.take(true); }
    if (it.tok !== 'id') throw new Error(`found '${it.lit}', expected: identifier`);
    const key = it.lit;
    const kErr = isQualifiedName(key);
    if (kErr.length) throw new Error(`<nil>: Invalid value: ${goQuote(key)}: ${kErr.join('; ')}`);
    if (negated) return requirement(key, '!', []);
    const after = this.look(true).tok;
    if (after === 'eos' || after === ',') return requirement(key, 'exists', []);
    const opItem = this.take(false);
    const ops: Partial<Record<Tok, LabelSelectorOperator>> = { in: 'in', notin: 'notin', '=': '=', '==': '==', '!=': '!=', '>': 'gt', '<': 'lt' };
    const op = ops[opItem.tok];
    if (!op) throw new Error(`found '${opItem.lit}', expected: ${BINARY_OPERATORS}`);
    const values = op === 'in' || op === 'notin' ? this.setValues() : this.exactValue();
    return requirement(key, op, [...new Set(values)].sort());
  }

  private setValues(): string[] {
    const open = this.take(true);
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const first = this.look(true);
    if (first.tok === ')') { this.take(true); return ['']; }
    if (first.tok !== 'id' && first.tok !== ',') throw new Error(`found '${first.lit}', expected: ',', ')' or identifier`);
    const values: string[] = [];
    for (;;) {
      const it = this.take(true);
      if (it.tok === 'id') {
        values.push(it.lit);
        const next = this.look(true);
        if (next.tok === ',') continue;
        if (next.tok === ')') break;
        throw new Error(`found '${next.lit}', expected: ',' or ')'`);
      } else if (it.tok === ',') {
        if (values.length === 0) values.push('');
        const next = this.look(true);
        if (next.tok === ')') { values.push(''); break; }
        if (next.tok === ',') values.push('');
      } else {
        throw new Error(`found '${it.lit}', expected: ',', or identifier`);
      }
    }
    const close = this.take(true);
    if (close.tok !== ')') throw new Error(`found '${first.lit}', expected: ')'`);
    return values;
  }

  private exactValue(): string[] {
    const next = this.look(true);
    if (next.tok === 'eos' || next.tok === ',') return [''];
    const it = this.take(true);
    if (it.tok === 'id') return [it.lit];
    throw new Error(`found '${it.lit}', expected: identifier`);
  }
}

/**
 * Parses the string form of a label selector (`kubectl -l`, `?labelSelector=`).
 * The empty string selects everything. Throws LabelSelectorError with Kubernetes' message.
 */
export function parseLabelSelector(selector: string): LabelMatcher {
  if (typeof selector !== 'string') throw new LabelSelectorError('label selector must be a string');
  return LabelMatcher.of(new Parser(lex(selector)).parse());
}

// ---- the LabelSelector object ----------------------------------------------------------

const EXPRESSION_OPERATORS: Record<string, LabelSelectorOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * metav1.LabelSelectorAsSelector: an absent selector matches nothing, an empty one everything.
 * Throws LabelSelectorError for an invalid one (bad key, value or operator, wrong shapes).
 */
export function labelSelectorAsMatcher(sel: LabelSelector | null | undefined | unknown): LabelMatcher {
  if (sel === null || sel === undefined) return LabelMatcher.nothing();
  if (!isRecord(sel)) throw new LabelSelectorError('invalid label selector: must be an object');
  const { matchLabels, matchExpressions } = sel;
  if (matchLabels !== undefined && matchLabels !== null && !isRecord(matchLabels)) throw new LabelSelectorError('invalid label selector: matchLabels must be an object');
  if (matchExpressions !== undefined && matchExpressions !== null && !Array.isArray(matchExpressions)) throw new LabelSelectorError('invalid label selector: matchExpressions must be an array');
  const labels = isRecord(matchLabels) ? Object.entries(matchLabels) : [];
  const exprs: unknown[] = Array.isArray(matchExpressions) ? matchExpressions : [];
  if (labels.length + exprs.length === 0) return LabelMatcher.everything();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of labels) {
    if (typeof v !== 'string') throw new LabelSelectorError(`invalid label selector: matchLabels[${k}] must be a string`);
    reqs.push(requirement(k, '=', [v]));
  }
  for (const e of exprs) {
    if (!isRecord(e)) throw new LabelSelectorError('invalid label selector: a match expression must be an object');
    const op = typeof e.operator === 'string' ? EXPRESSION_OPERATORS[e.operator] : undefined;
    if (!op) throw new LabelSelectorError(`${goQuote(typeof e.operator === 'string' ? e.operator : '')} is not a valid label selector operator`);
    const values = e.values === undefined || e.values === null ? [] : e.values;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) throw new LabelSelectorError('invalid label selector: values must be an array of strings');
    if (typeof e.key !== 'string') throw new LabelSelectorError('invalid label selector: key must be a string');
    reqs.push(requirement(e.key, op, values as string[]));
  }
  return LabelMatcher.of(reqs);
}

/** Like labelSelectorAsMatcher, but reports the problem instead of throwing. */
export function tryLabelSelectorAsMatcher(sel: unknown): { matcher: LabelMatcher; error?: undefined } | { matcher?: undefined; error: string } {
  try {
    return { matcher: labelSelectorAsMatcher(sel) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** True when the LabelSelector object selects these labels (false for an invalid selector). */
export function labelSelectorMatches(sel: LabelSelector | null | undefined | unknown, labels: Labels): boolean {
  const r = tryLabelSelectorAsMatcher(sel);
  return r.matcher ? r.matcher.matches(labels) : false;
}

/** The string form of a LabelSelector object, as Scale's status.selector carries it. Throws when invalid. */
export function labelSelectorToString(sel: LabelSelector | null | undefined | unknown): string {
  return labelSelectorAsMatcher(sel).toString();
}

/** metav1.FormatLabelSelector: the string form, `<none>` when empty or absent, `<error>` when invalid. */
export function formatLabelSelector(sel: LabelSelector | null | undefined | unknown): string {
  const r = tryLabelSelectorAsMatcher(sel);
  if (!r.matcher) return '<error>';
  return r.matcher.toString() || '<none>';
}

/** labels.SelectorFromSet: equality on every pair; an empty or absent set selects everything. */
export function selectorFromSet(set: Readonly<Record<string, string>> | null | undefined): LabelMatcher {
  if (!set) return LabelMatcher.everything();
  return LabelMatcher.of(Object.entries(set).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}
