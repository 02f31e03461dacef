import { tryParseQuantity } from '@skiff/api';
import type { Pod } from 'kubernetes-types/core/v1';

/**
 * Amounts of resources in integer base units: `cpu` in millicores, everything else
 * (memory, ephemeral-storage, extended resources) in whole units, `pods` as a count.
 */
export type ResourceList = Record<string, number>;

/** What the scheduler assumes a container without requests uses, for scoring only. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function toAmount(resource: string, value: unknown): number {
  const r = tryParseQuantity(value as string);
  if (!r.quantity) return 0;
  return resource === 'cpu' ? r.quantity.milliValue() : r.quantity.value();
}

export function parseResourceList(list: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list ?? {})) out[k] = toAmount(k, v);
  return out;
}

function addInto(acc: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) acc[k] = (acc[k] ?? 0) + v;
}

function maxInto(acc: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) acc[k] = Math.max(acc[k] ?? 0, v);
}

/**
 * A pod's effective requests, as Kubernetes computes them: the sum over app containers
 * (plus restartable init containers, i.e. sidecars), at least the largest init
 * container, plus the pod overhead.
 */
export function podRequests(pod: Pod, opts: { nonZero?: boolean } = {}): ResourceList {
  const spec = pod.spec;
  const sum: ResourceList = {};
  const reqOf = (c: { resources?: { requests?: Record<string, unknown> } }): ResourceList => {
    const r = parseResourceList(c.resources?.requests as Record<string, unknown> | undefined);
    if (opts.nonZero) {
      if (!r.cpu) r.cpu = DEFAULT_MILLI_CPU_REQUEST;
      if (!r.memory) r.memory = DEFAULT_MEMORY_REQUEST;
    }
    return r;
  };
  for (const c of spec?.containers ?? []) addInto(sum, reqOf(c));
  const initMax: ResourceList = {};
  const sidecars: ResourceList = {};
  for (const c of spec?.initContainers ?? []) {
    const r = reqOf(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      addInto(sum, r);
    } else {
      // A regular init container runs beside the sidecars started before it.
      const during = { ...sidecars };
      addInto(during, r);
      maxInto(initMax, during);
    }
  }
  maxInto(sum, initMax);
  addInto(sum, parseResourceList(spec?.overhead as Record<string, unknown> | undefined));
  return sum;
}
