import { deepCopy, deepEqual, findByKind, isStatusError, KObject, selectorFromSet } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { Informer } from '../informer/informer';
import { keyOf, splitKey, type ObjectCache } from '../informer/object-cache';
import { WorkQueue } from '../informer/work-queue';
import { newControllerRef } from '../common/controller-ref';
import { computeSlices, computeSubsets, podEndpoints } from './compute-endpoints';

const ENDPOINTS = findByKind('v1', 'Endpoints')!;
const SLICE = findByKind('discovery.k8s.io/v1', 'EndpointSlice')!;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

export interface EndpointsControllerDeps {
  services: ObjectCache;
  pods: ObjectCache;
  endpoints: ObjectCache;
  /** Indexed by `service` (the kubernetes.io/service-name label). */
  slices: ObjectCache;
  client: ApiClient;
  log: Logger;
  queue?: WorkQueue;
}

export const byServiceName = (o: KObject): string[] => {
  const n = o.metadata.labels?.[SERVICE_NAME_LABEL];
  return n ? [`${o.metadata.namespace}/${n}`] : [];
};

/**
 * Endpoints and EndpointSlices for services with a selector: ready and not-ready addresses,
 * named target ports resolved per pod. Services without a selector are left alone.
 */
export class EndpointsController {
  readonly queue: WorkQueue;

  constructor(private readonly d: EndpointsControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
  }

  register(services: Informer, pods: Informer, endpoints: Informer, slices: Informer): void {
    services.addHandler({ add: (s) => this.queue.add(keyOf(s)), update: (_o, s) => this.queue.add(keyOf(s)), delete: (s) => this.queue.add(keyOf(s)) });
    pods.addHandler({
      add: (p) => this.enqueueFor(p),
      update: (o, p) => { this.enqueueFor(o); this.enqueueFor(p); },
      delete: (p) => this.enqueueFor(p),
    });
    endpoints.addHandler({ delete: (e) => this.queue.add(keyOf(e)) });
    slices.addHandler({ delete: (s) => { for (const k of byServiceName(s)) this.queue.add(k); } });
  }

  private enqueueFor(pod: KObject): void {
    for (const svc of this.d.services.list(pod.metadata.namespace)) {
      const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
      if (sel && Object.keys(sel).length && selectorFromSet(sel).matches(pod.metadata.labels ?? {})) this.queue.add(keyOf(svc));
    }
  }

  async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.d.services.get(key);
    const managedSlices = this.d.slices.byIndex('service', key).filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    if (!svc) {
      for (const s of managedSlices) await ignoreNotFound(this.d.client.delete(SLICE, namespace, s.metadata.name!));
      if (this.d.endpoints.get(key)) await ignoreNotFound(this.d.client.delete(ENDPOINTS, namespace, name));
      return;
    }
    const sel = (svc.spec as { selector?: Record<string, string> } | undefined)?.selector;
    if (!sel || Object.keys(sel).length === 0) return;
    const matcher = selectorFromSet(sel);
    const pods = this.d.pods.list(namespace).filter((p) => matcher.matches(p.metadata.labels ?? {}));
    const eps = podEndpoints(svc, pods);
    await this.syncEndpoints(svc, computeSubsets(svc, eps));
    await this.syncSlices(svc, computeSlices(svc, eps), managedSlices);
  }

  private async syncEndpoints(svc: KObject, subsets: ReturnType<typeof computeSubsets>): Promise<void> {
    const cur = this.d.endpoints.get(keyOf(svc));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if ((svc.spec as { clusterIP?: string }).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    if (cur) {
      if (deepEqual(cur.subsets ?? [], subsets) && deepEqual(cur.metadata.labels ?? {}, labels)) return;
      const next = deepCopy(cur);
      next.subsets = subsets;
      next.metadata.labels = labels;
      await this.d.client.update(ENDPOINTS, next);
      return;
    }
    try {
      await this.d.client.create(ENDPOINTS, svc.metadata.namespace, { metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels }, subsets });
    } catch (e) {
      if (!(isStatusError(e) && e.reason === 'AlreadyExists')) throw e;
      throw e; // the cache will catch up; retry
    }
  }

  private async syncSlices(svc: KObject, desired: ReturnType<typeof computeSlices>, existing: KObject[]): Promise<void> {
    const labels = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name!, [MANAGED_BY_LABEL]: MANAGED_BY };
    const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
    for (const want of desired) {
      const body = { addressType: want.addressType, endpoints: want.endpoints, ports: want.ports };
      const cur = byName.get(want.name);
      byName.delete(want.name);
      if (cur) {
        if (deepEqual({ addressType: cur.addressType, endpoints: cur.endpoints ?? [], ports: cur.ports ?? [] }, body) && deepEqual(cur.metadata.labels, labels)) continue;
        const next = { ...deepCopy(cur), ...body };
        next.metadata.labels = labels;
        await this.d.client.update(SLICE, next);
      } else {
        await this.d.client.create(SLICE, svc.metadata.namespace, {
          metadata: { name: want.name, namespace: svc.metadata.namespace, labels, ownerReferences: [newControllerRef(svc, 'v1', 'Service')] },
          ...body,
        });
      }
    }
    // A service with no endpoints keeps one empty slice, as Kubernetes does.
    if (desired.length === 0 && existing.length === 0) {
      await this.d.client.create(SLICE, svc.metadata.namespace, {
        metadata: { name: `${svc.metadata.name}-empty`, namespace: svc.metadata.namespace, labels, ownerReferences: [newControllerRef(svc, 'v1', 'Service')] },
        addressType: 'IPv4', endpoints: [], ports: [],
      });
      return;
    }
    for (const stale of byName.values()) {
      if (desired.length === 0 && stale.metadata.name === `${svc.metadata.name}-empty`) continue;
      await ignoreNotFound(this.d.client.delete(SLICE, stale.metadata.namespace, stale.metadata.name!));
    }
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(isStatusError(e) && e.code === 404)) throw e;
  }
}
