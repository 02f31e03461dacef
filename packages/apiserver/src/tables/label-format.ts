import { tryLabelSelectorAsMatcher } from '@skiff/api';
import type { LabelSelector } from 'kubernetes-types/meta/v1';

/** Go's sort order for strings (bytewise), not localeCompare. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `labels.FormatLabels`: `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(map: Record<string, string> | undefined | null): string {
  const keys = Object.keys(map ?? {}).sort(byteCompare);
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${map?.[k] ?? ''}`).join(',');
}

/**
 * `metav1.LabelSelectorAsSelector(s).String()`: '' for an empty or absent selector, undefined
 * when the selector is invalid. The selector logic itself lives in @skiff/api.
 */
export function labelSelectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const r = tryLabelSelectorAsMatcher(selector);
  return r.matcher ? r.matcher.toString() : undefined;
}

/** `metav1.FormatLabelSelector`: `<none>` when empty, `<error>` when invalid. */
export { formatLabelSelector } from '@skiff/api';
