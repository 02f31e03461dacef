import type { Pod, Container } from 'kubernetes-types/core/v1';
import { quantityMilliValue } from './quantity';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = new Set(['cpu', 'memory']);

/**
 * Requests as the apiserver defaults them: a resource with a limit and no
 * request gets the limit as its request. Applied here too so that a pod that
 * reached us without defaulting still gets the right class.
 */
export function effectiveRequests(c: Container): Record<string, string> {
  const requests: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.resources?.requests ?? {})) requests[k] = String(v);
  for (const [k, v] of Object.entries(c.resources?.limits ?? {})) if (requests[k] === undefined) requests[k] = String(v);
  return requests;
}

/** GetPodQOS from pkg/apis/core/v1/helper/qos, on cpu and memory only. */
export function computeQOSClass(pod: Pod): QOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let isGuaranteed = true;
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of all) {
    for (const [name, q] of Object.entries(effectiveRequests(c))) {
      if (!QOS_RESOURCES.has(name)) continue;
      const v = quantityMilliValue(q);
      if (v > 0) requests.set(name, (requests.get(name) ?? 0) + v);
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      if (!QOS_RESOURCES.has(name)) continue;
      const v = quantityMilliValue(String(q));
      if (v > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + v);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) isGuaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (isGuaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) { isGuaranteed = false; break; }
    }
  }
  if (isGuaranteed && requests.size === limits.size) return 'Guaranteed';
  return 'Burstable';
}
