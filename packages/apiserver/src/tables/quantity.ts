/**
 * Canonical form of a resource.Quantity, as Go's `Quantity.String()` prints it: `1024Mi` becomes
 * `1Gi`, `1000M` becomes `1G`, `0.5` becomes `500m`, `1e3` stays in exponent form. Table cells for
 * capacities, quota usage and HPA targets go through this.
 */

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

/** value = mantissa * 10^exponent, exactly. */
interface Parsed { mantissa: bigint; exponent: number; format: Format }

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

function parse(text: string): Parsed | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const [, sign = '', number = '', suffix = ''] = m;
  const [whole = '', frac = ''] = number.split('.');
  let mantissa = BigInt((whole || '0') + frac);
  let exponent = -frac.length;
  let format: Format = 'DecimalSI';
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (suffix !== '' && binary > 0) {
    format = 'BinarySI';
    mantissa *= 1n << BigInt(10 * binary);
  } else if (suffix in DECIMAL_SUFFIXES) {
    exponent += DECIMAL_SUFFIXES[suffix] ?? 0;
  } else {
    format = 'DecimalExponent';
    exponent += Number(suffix.slice(1));
  }
  if (sign === '-') mantissa = -mantissa;
  // Like ParseQuantity, round anything finer than 1n away from zero.
  if (exponent < -9) {
    const div = 10n ** BigInt(-9 - exponent);
    const q = mantissa / div;
    mantissa = mantissa % div === 0n ? q : q + (mantissa < 0n ? -1n : 1n);
    exponent = -9;
  }
  return { mantissa, exponent, format };
}

function decimalString({ mantissa, exponent, format }: Parsed): string {
  if (mantissa === 0n) return '0';
  let m = mantissa;
  let e = exponent;
  while (m % 10n === 0n) { m /= 10n; e += 1; }
  const r = ((e % 3) + 3) % 3;
  m *= 10n ** BigInt(r);
  e -= r;
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  const suffix = DECIMAL_BY_EXPONENT.get(e);
  return suffix !== undefined ? `${m}${suffix}` : `${m}e${e}`;
}

export function formatQuantity(value: unknown): string {
  if (value === undefined || value === null) return '0';
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return String(text);
  const q = parse(text);
  if (!q) return text;
  if (q.format === 'BinarySI') {
    const integer = q.exponent >= 0 || q.mantissa % 10n ** BigInt(-q.exponent) === 0n;
    const v = q.exponent >= 0 ? q.mantissa * 10n ** BigInt(q.exponent) : q.mantissa / 10n ** BigInt(-q.exponent);
    if (!integer || (v > -1024n && v < 1024n)) return decimalString({ ...q, format: 'DecimalSI' });
    let n = v;
    let k = 0;
    while (k < BINARY_SUFFIXES.length - 1 && n % 1024n === 0n) { n /= 1024n; k += 1; }
    return `${n}${BINARY_SUFFIXES[k]}`;
  }
  return decimalString(q);
}
