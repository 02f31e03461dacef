/**
 * RFC 7386 JSON merge patch (`application/merge-patch+json`), as `kubectl label`,
 * `kubectl annotate` and `kubectl scale` send it: `null` deletes a key, objects merge
 * recursively, anything else (lists included) replaces the target.
 */
import { cloneJson, getOwn, isJsonObject, setOwn, type JsonObject } from './json-values';

/** Applies an RFC 7386 merge patch and returns the new document; neither argument is mutated. */
export function applyMergePatch<T = unknown>(doc: T, patch: unknown): T {
  return mergeValue(doc, patch) as T;
}

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const key of Object.keys(patch)) {
    const pv = patch[key];
    if (pv === undefined) continue;
    if (pv === null) {
      delete out[key];
    } else {
      setOwn(out, key, mergeValue(getOwn(out, key), pv));
    }
  }
  return out;
}
