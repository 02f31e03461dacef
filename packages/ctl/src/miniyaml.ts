/**
 * A fast parser for the small YAML subset kubeconfig files use (block mappings, block
 * sequences, plain and quoted single-line scalars, comments). Loading the full `yaml`
 * package costs more than a whole `get` request, so kubeconfig reading tries this first and
 * falls back to `yaml` (via `undefined`) on anything outside the subset.
 */
class Unsupported extends Error {}

interface Line {
  indent: number;
  text: string;
}

function scalar(raw: string): unknown {
  const s = raw.trim();
  if (s === '') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Unsupported();
    return JSON.parse(s) as unknown;
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Unsupported();
    const inner = s.slice(1, -1);
    if (/(^|[^'])'([^']|$)/.test(inner)) throw new Unsupported();
    return inner.replace(/''/g, "'");
  }
  if (s === '{}') return {};
  if (s === '[]') return [];
  if (/^[[{&*!|>%@`]/.test(s) || s.startsWith('- ') || s.includes(' #') || s.includes(': ')) throw new Unsupported();
  if (s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (s === 'true' || s === 'True' || s === 'TRUE') return true;
  if (s === 'false' || s === 'False' || s === 'FALSE') return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  if (/^0x[0-9a-fA-F]+$|^0o[0-7]+$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(s)) throw new Unsupported();
  return s;
}

function splitKey(text: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"') || text.startsWith("'")) {
    const q = text[0] as string;
    const end = text.indexOf(q, 1);
    if (end < 0 || text[end + 1] !== ':') return undefined;
    key = String(scalar(text.slice(0, end + 1)));
    rest = text.slice(end + 2);
  } else {
    const m = /^([^:#]+?):(?:\s|$)/.exec(text);
    if (!m) return undefined;
    key = (m[1] as string).trim();
    rest = text.slice(m[0].length);
  }
  if (rest !== '' && !/^\s/.test(rest) && rest !== undefined && text.length > key.length + 1) {
    // `key:value` without a space is a plain scalar, not a mapping
  }
  return [key, rest.trim()];
}

export function parseMiniYaml(text: string): unknown {
  try {
    const lines: Line[] = [];
    for (const raw of text.split(/\r?\n/)) {
      if (raw.includes('\t')) throw new Unsupported();
      const t = raw.trimEnd();
      const trimmed = t.trimStart();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      if (trimmed === '---' && lines.length === 0) continue;
      if (trimmed === '---' || trimmed === '...' || trimmed.startsWith('%')) throw new Unsupported();
      lines.push({ indent: t.length - trimmed.length, text: trimmed });
    }
    let i = 0;
    const parseNode = (indent: number): unknown => {
      const first = lines[i];
      if (!first || first.indent < indent) return null;
      if (first.text === '-' || first.text.startsWith('- ')) return parseSeq(first.indent);
      return parseMap(first.indent);
    };
    const parseValue = (rest: string, parentIndent: number): unknown => {
      if (rest !== '') return scalar(rest);
      const next = lines[i];
      if (!next) return null;
      // a sequence may sit at the same indentation as its key
      if (next.indent > parentIndent || (next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- ')))) return parseNode(next.indent);
      return null;
    };
    const parseMap = (indent: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      while (i < lines.length) {
        const l = lines[i] as Line;
        if (l.indent < indent) break;
        if (l.indent > indent) throw new Unsupported();
        if (l.text === '-' || l.text.startsWith('- ')) break;
        const kv = splitKey(l.text);
        if (!kv) throw new Unsupported();
        i++;
        if (Object.prototype.hasOwnProperty.call(out, kv[0])) throw new Unsupported();
        out[kv[0]] = parseValue(kv[1], indent);
      }
      return out;
    };
    const parseSeq = (indent: number): unknown[] => {
      const out: unknown[] = [];
      while (i < lines.length) {
        const l = lines[i] as Line;
        if (l.indent !== indent || !(l.text === '-' || l.text.startsWith('- '))) {
          if (l.indent > indent) throw new Unsupported();
          break;
        }
        const rest = l.text === '-' ? '' : l.text.slice(2).trimStart();
        if (rest === '') { i++; out.push(parseValue('', indent)); continue; }
        const itemIndent = indent + (l.text.length - rest.length);
        if (splitKey(rest)) {
          // `- key: value` starts a mapping whose keys sit at itemIndent
          lines[i] = { indent: itemIndent, text: rest };
          out.push(parseMap(itemIndent));
        } else {
          i++;
          out.push(scalar(rest));
        }
      }
      return out;
    };
    const v = parseNode(0);
    if (i !== lines.length) throw new Unsupported();
    return v;
  } catch (e) {
    if (e instanceof Unsupported || e instanceof SyntaxError) return undefined;
    throw e;
  }
}
