/**
 * Kubernetes resource quantities (`100m`, `1.5`, `128Mi`, `1G`, `1e3`), held exactly.
 *
 * A quantity is kept as an integer count of nano-units (value × 10⁹) in a bigint, which is
 * the precision Kubernetes itself keeps: anything finer is rounded up (away from zero) to
 * 1n, so that asking for a tiny amount of a resource still asks for some. The suffix family
 * the value was written in (decimal SI, binary SI or a decimal exponent) is kept too,
 * because the canonical form printed back (`toString()`) follows it, as Kubernetes does:
 * `1.5Gi` prints as `1536Mi`, `0.5` as `500m`, `1000` as `1k`, `1e3` as `1e3`.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Thrown for a string that is not a quantity; the message is the one Kubernetes gives. */
export class QuantityError extends Error {
  constructor(message: string, readonly input?: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity';
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

const NANO = 1_000_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
/** Beyond this many decimal digits of magnitude we refuse rather than allocate huge integers. */
const MAX_DECIMAL_EXPONENT = 1000;

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX_BY_EXPONENT = new Map<number, string>(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_EXPONENT = new Map<number, string>(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

const SUFFIX_CHARS = 'eEinumkKMGTP';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** Integer division rounding away from zero (inf.RoundUp). */
function divRoundUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}

interface Split {
  negative: boolean;
  intDigits: string;
  fracDigits: string;
  suffix: string;
}

/** Splits the text the way Kubernetes' parseQuantityString does, with the same error. */
function split(str: string): Split {
  let pos = 0;
  const end = str.length;
  let negative = false;
  if (str[0] === '-') { negative = true; pos++; } else if (str[0] === '+') { pos++; }
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  const intDigits = str.slice(pos, i);
  pos = i;
  let fracDigits = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    fracDigits = str.slice(pos, i);
    pos = i;
  }
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos] as string)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new QuantityError(QUANTITY_FORMAT_ERROR, str);
  return { negative, intDigits, fracDigits, suffix: str.slice(suffixStart) };
}

interface Suffix {
  base: 10 | 2;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | undefined {
  const dec = DECIMAL_SUFFIXES[suffix];
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES[suffix];
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    const exponent = Number(rest);
    if (!Number.isSafeInteger(exponent)) return undefined;
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

export class Quantity {
  private constructor(
    /** The value in nano-units (value × 10⁹). */
    readonly nanos: bigint,
    readonly format: QuantityFormat,
  ) {}

  /** Parses a quantity as Kubernetes does; JSON numbers are accepted too. Throws QuantityError. */
  static parse(input: string | number): Quantity {
    let str: string;
    if (typeof input === 'number') {
      if (!Number.isFinite(input)) throw new QuantityError(QUANTITY_FORMAT_ERROR, String(input));
      str = String(input);
    } else if (typeof input === 'string') {
      str = input;
    } else {
      throw new QuantityError(QUANTITY_FORMAT_ERROR);
    }
    if (str.length === 0) throw new QuantityError(QUANTITY_FORMAT_ERROR, str);
    const parts = split(str);
    const suffix = interpretSuffix(parts.suffix);
    if (!suffix) throw new QuantityError(QUANTITY_SUFFIX_ERROR, str);
    // Kubernetes reads a bare sign or suffix ("-", "Ki") as zero; we call that malformed.
    if (parts.intDigits.length === 0 && parts.fracDigits.length === 0) throw new QuantityError(QUANTITY_NUMERIC_ERROR, str);

    const digits = (parts.intDigits + parts.fracDigits).replace(/^0+(?=\d)/, '');
    let mantissa = BigInt(digits);
    if (parts.negative) mantissa = -mantissa;
    // value = mantissa × 10^(exp10) × 2^(exp2)
    let exp10 = suffix.base === 10 ? suffix.exponent - parts.fracDigits.length : -parts.fracDigits.length;
    const exp2 = suffix.base === 2 ? suffix.exponent : 0;
    if (mantissa !== 0n) {
      const magnitude = digits.length + exp10 + Math.ceil(exp2 * 0.302);
      if (magnitude > MAX_DECIMAL_EXPONENT) throw new QuantityError('quantity is too large', str);
    }
    exp10 += 9; // to nano-units
    let nanos = mantissa << BigInt(exp2);
    if (nanos === 0n) { /* zero stays zero, whatever the exponent */ }
    else if (exp10 >= 0) nanos *= pow10(exp10);
    else if (-exp10 > MAX_DECIMAL_EXPONENT) nanos = nanos === 0n ? 0n : nanos < 0n ? -1n : 1n;
    else nanos = divRoundUp(nanos, pow10(-exp10));

    let format = suffix.format;
    if (format === 'BinarySI') {
      const cap = MAX_INT64 * NANO;
      if (nanos > cap) nanos = cap;
      if (nanos < -cap) nanos = -cap;
      if (abs(nanos) < NANO && nanos !== 0n) format = 'DecimalSI';
    }
    return new Quantity(nanos, format);
  }

  /** A quantity of `n` whole units (bytes, cores, pods), written in the given format. */
  static fromUnits(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBig(n) * NANO, format);
  }

  /** A quantity of `n` thousandths of a unit (millicores), written in the given format. */
  static fromMillis(n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBig(n) * 1_000_000n, format);
  }

  static fromNanos(n: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(n, format);
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** Sum; keeps this quantity's format unless this one is zero (as Kubernetes' Add does). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.isZero() ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The value in whole units, rounded up (away from zero), like Quantity.Value(). */
  value(): number {
    return Number(divRoundUp(this.nanos, NANO));
  }

  /** The value in thousandths, rounded up (away from zero), like Quantity.MilliValue(). */
  milliValue(): number {
    return Number(divRoundUp(this.nanos, 1_000_000n));
  }

  valueBig(): bigint {
    return divRoundUp(this.nanos, NANO);
  }

  milliValueBig(): bigint {
    return divRoundUp(this.nanos, 1_000_000n);
  }

  /** The value as a float, for ratios and display only. */
  asApproximateFloat(): number {
    const whole = this.nanos / NANO;
    const frac = this.nanos % NANO;
    return Number(whole) + Number(frac) / 1e9;
  }

  /** The canonical text, as Kubernetes serialises it. */
  toString(): string {
    if (this.nanos === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      if (abs(this.nanos) < 1024n * NANO || this.nanos % NANO !== 0n) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let n = this.nanos / NANO;
      let exp = 0;
      while (n % 1024n === 0n && exp < 60) { n /= 1024n; exp += 10; }
      return `${n}${BINARY_SUFFIX_BY_EXPONENT.get(exp) ?? ''}`;
    }
    // Decimal: strip factors of ten, then lower the exponent to a multiple of three.
    let n = this.nanos;
    let exp = -9;
    while (n % 10n === 0n) { n /= 10n; exp++; }
    const rem = ((exp % 3) + 3) % 3;
    if (rem !== 0) { n *= pow10(rem); exp -= rem; }
    if (format === 'DecimalExponent') return exp === 0 ? `${n}` : `${n}e${exp}`;
    if (exp > 18) { n *= pow10(exp - 18); exp = 18; }
    return `${n}${DECIMAL_SUFFIX_BY_EXPONENT.get(exp) ?? ''}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function toBig(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isFinite(n)) throw new QuantityError(QUANTITY_FORMAT_ERROR, String(n));
  return BigInt(Math.trunc(n));
}

/** Parses a quantity; throws QuantityError with Kubernetes' message when malformed. */
export function parseQuantity(input: string | number): Quantity {
  return Quantity.parse(input);
}

/** Parses a quantity, or returns the reason it is malformed. Never throws. */
export function tryParseQuantity(input: unknown): { quantity: Quantity; error?: undefined } | { quantity?: undefined; error: string } {
  if (typeof input !== 'string' && typeof input !== 'number') return { error: QUANTITY_FORMAT_ERROR };
  try {
    return { quantity: Quantity.parse(input) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export function isValidQuantity(input: unknown): boolean {
  return tryParseQuantity(input).quantity !== undefined;
}

type QuantityLike = Quantity | string | number;

function q(v: QuantityLike): Quantity {
  return v instanceof Quantity ? v : Quantity.parse(v);
}

/** The canonical text of a quantity (`"1.5Gi"` -> `"1536Mi"`). */
export function formatQuantity(v: QuantityLike): string {
  return q(v).toString();
}

export function compareQuantities(a: QuantityLike, b: QuantityLike): -1 | 0 | 1 {
  return q(a).cmp(q(b));
}

export function addQuantities(...values: QuantityLike[]): Quantity {
  return values.reduce<Quantity>((acc, v) => acc.add(q(v)), Quantity.zero());
}

/** Millicores (or any thousandths), rounded up: `"100m"` -> 100, `"1.5"` -> 1500. */
export function quantityToMillis(v: QuantityLike): number {
  return q(v).milliValue();
}

/** Whole units (bytes for memory), rounded up: `"128Mi"` -> 134217728, `"1G"` -> 1e9. */
export function quantityToBytes(v: QuantityLike): number {
  return q(v).value();
}
