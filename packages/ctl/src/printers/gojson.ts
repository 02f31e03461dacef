/**
 * JSON as Go's encoding/json writes a map[string]interface{}: keys sorted by byte order,
 * HTML-sensitive characters escaped (\u003c \u003e \u0026), U+2028/U+2029 escaped.
 * kubectl's `-o json` is json.MarshalIndent(obj, "", "    ") plus a newline.
 */
function quote(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function byteCompare(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

export function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort(byteCompare);
}

function num(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return JSON.stringify(n);
}

export function goJson(v: unknown, indent = '', prefix = '', sort = true): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return num(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = prefix + indent;
  const nl = indent ? '\n' : '';
  const sep = indent ? ': ' : ':';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + nl + v.map((x) => inner + goJson(x, indent, inner, sort)).join(',' + nl) + nl + (indent ? prefix : '') + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = (sort ? sortedKeys(o) : Object.keys(o)).filter((k) => o[k] !== undefined);
  if (keys.length === 0) return '{}';
  return '{' + nl + keys.map((k) => inner + quote(k) + sep + goJson(o[k], indent, inner, sort)).join(',' + nl) + nl + (indent ? prefix : '') + '}';
}

/** kubectl -o json */
export function printJson(v: unknown, sort = true): string {
  return goJson(v, '    ', '', sort) + '\n';
}
