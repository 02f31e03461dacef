/**
 * Kubernetes prints the bad value of a field error with Go's `%q` / `%#v`. These render the
 * few shapes that show up in common messages the same way, so that error text matches:
 * `Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels``.
 * A leaf module: it imports nothing.
 */

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\v': '\\v' };

/** Go's `%q` for a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = ESCAPES[ch];
    if (esc) { out += esc; continue; }
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function isStringRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return goQuote(JSON.stringify(v) ?? '');
}

/** `[]string{"a", "b"}`, or `[]string(nil)` when absent. */
export function goStringSlice(v: unknown): string {
  if (!Array.isArray(v)) return '[]string(nil)';
  return `[]string{${v.map(scalar).join(', ')}}`;
}

/** `map[string]string{"a":"b", "c":"d"}` (keys sorted, as fmt prints maps), or `map[string]string(nil)`. */
export function goStringMap(v: unknown): string {
  if (!isStringRecord(v)) return 'map[string]string(nil)';
  const keys = Object.keys(v).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${scalar(v[k])}`).join(', ')}}`;
}

/** A metav1.LabelSelector as `%#v` prints the value it points to. */
export function goLabelSelector(sel: unknown): string {
  const s = isStringRecord(sel) ? sel : {};
  const exprs = Array.isArray(s.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${s.matchExpressions.map((e) => {
      const r = isStringRecord(e) ? e : {};
      return `v1.LabelSelectorRequirement{Key:${scalar(r.key ?? '')}, Operator:${scalar(r.operator ?? '')}, Values:${goStringSlice(r.values)}}`;
    }).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels)}, MatchExpressions:${exprs}}`;
}

/** An intstr.IntOrString as `%#v` prints it. */
export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  const n = typeof v === 'number' ? v : 0;
  return `intstr.IntOrString{Type:0, IntVal:${n}, StrVal:""}`;
}
