import { formatQuantity as canonicalQuantity, isValidQuantity } from '@skiff/api';

/**
 * A quantity cell as the printers show it: the canonical form (`1024Mi` -> `1Gi`,
 * `0.5` -> `500m`), `0` when unset, and text that is not a quantity unchanged.
 */
export function formatQuantity(value: unknown): string {
  if (value === undefined || value === null) return '0';
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return String(text);
  return isValidQuantity(text) ? canonicalQuantity(text) : text;
}
