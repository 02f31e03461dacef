/**
 * Kubernetes resource quantities ("500m", "64Mi", "1.5", "2e3") as numbers.
 * Only what the agent needs: a value in base units and in milli-units, rounded up
 * like resource.Quantity.Value()/MilliValue(). This belongs in @skiff/api once it
 * grows a quantity type; until then it lives here.
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

export class QuantityError extends Error {
  constructor(readonly input: string) {
    super(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(input)}`);
    this.name = 'QuantityError';
  }
}

/** The quantity as a float in base units (bytes, cores). */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(q.trim());
  if (!m) throw new QuantityError(q);
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  const mult = BINARY[suffix] ?? DECIMAL[suffix];
  if (mult === undefined) throw new QuantityError(q);
  return n * mult;
}

/** Value() of a Quantity: base units rounded up to an integer. */
export function quantityValue(q: string | number): number {
  return Math.ceil(roundFloat(parseQuantity(q)));
}

/** MilliValue() of a Quantity: milli-units rounded up to an integer. */
export function quantityMilliValue(q: string | number): number {
  return Math.ceil(roundFloat(parseQuantity(q) * 1000));
}

/** Strips float noise (0.1*3) before ceil so that "0.3" is 300m, not 301m. */
function roundFloat(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-9 * Math.max(1, Math.abs(x)) ? r : x;
}
