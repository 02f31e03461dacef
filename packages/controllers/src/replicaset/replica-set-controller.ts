import { deepCopy, deepEqual, findByKind, isStatusError, KObject, labelSelectorAsMatcher, LabelMatcher, selectorFromSet } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { Expectations } from '../informer/expectations';
import { keyOf, splitKey, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { controllerRefOf, newControllerRef, ownerRefsPatch, resolveControllerRef } from '../common/controller-ref';
import { isPodActive, isPodReady, podAvailability, podPhase, podReadyCondition } from '../common/pod-state';

export const POD = findByKind('v1', 'Pod')!;
export const REPLICA_SET = findByKind('apps/v1', 'ReplicaSet')!;

/** Kubernetes creates at most this many pods per sync, in doubling batches. */
const BURST_REPLICAS = 500;

interface RSSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: unknown;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown };
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration?: number;
  conditions?: unknown[];
}

export interface ReplicaSetControllerDeps {
  replicaSets: ObjectCache;
  pods: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

/**
 * Keeps `spec.replicas` pods running for each ReplicaSet: adopts matching orphans, releases
 * pods whose labels no longer match, creates and deletes pods, and reports status
 * (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration).
 */
export class ReplicaSetController {
  readonly queue: WorkQueue;
  readonly expectations = new Expectations();
  private readonly clock: () => number;

  constructor(private readonly d: ReplicaSetControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  /** Wires informer events to the queue. */
  register(rsInformer: Informer, podInformer: Informer): void {
    rsInformer.addHandler({
      add: (rs) => this.queue.add(keyOf(rs)),
      update: (_o, rs) => this.queue.add(keyOf(rs)),
      delete: (rs) => { this.expectations.delete(keyOf(rs)); this.queue.add(keyOf(rs)); },
    });
    podInformer.addHandler({
      add: (pod) => this.podAdded(pod),
      update: (old, cur) => this.podUpdated(old, cur),
      delete: (pod) => this.podDeleted(pod),
    });
  }

  private ownerKey(pod: KObject): string | undefined {
    const rs = resolveControllerRef(controllerRefOf(pod), 'ReplicaSet', (n) => this.d.replicaSets.getByName(pod.metadata.namespace, n));
    return rs ? keyOf(rs) : undefined;
  }

  private enqueueMatching(pod: KObject): void {
    for (const rs of this.d.replicaSets.list(pod.metadata.namespace)) {
      const m = matcherOf(rs);
      if (m?.matches(pod.metadata.labels ?? {})) this.queue.add(keyOf(rs));
    }
  }

  podAdded(pod: KObject): void {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
    const key = this.ownerKey(pod);
    if (key) {
      this.expectations.creationObserved(key);
      this.queue.add(key);
    } else if (!controllerRefOf(pod)) {
      this.enqueueMatching(pod);
    }
  }

  podUpdated(old: KObject, cur: KObject): void {
    if (cur.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
      const key = this.ownerKey(cur);
      if (key) this.expectations.deletionObserved(key, keyOf(cur));
    }
    const oldKey = this.ownerKey(old);
    const key = this.ownerKey(cur);
    if (oldKey && oldKey !== key) this.queue.add(oldKey);
    if (key) {
      this.queue.add(key);
      // A pod that just turned ready becomes available minReadySeconds later.
      const rs = this.d.replicaSets.get(key);
      const mrs = (rs?.spec as RSSpec | undefined)?.minReadySeconds ?? 0;
      if (mrs > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(key, mrs * 1000 + 100);
    } else if (!controllerRefOf(cur) && !deepEqual(old.metadata.labels, cur.metadata.labels)) {
      this.enqueueMatching(cur);
    } else if (!controllerRefOf(cur) && controllerRefOf(old)) {
      this.enqueueMatching(cur);
    }
  }

  podDeleted(pod: KObject): void {
    const key = this.ownerKey(pod);
    if (!key) return;
    this.expectations.deletionObserved(key, keyOf(pod));
    this.queue.add(key);
  }

  async reconcile(key: string): Promise<void> {
    const rs = this.d.replicaSets.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const selector = matcherOf(rs);
    if (!selector) {
      this.d.log.warn('replica set has an invalid selector', { key });
      return;
    }
    const spec = (rs.spec ?? {}) as RSSpec;
    const now = this.clock();
    const pods = await this.claimPods(rs, selector);
    const active = pods.filter(isPodActive);
    let manageError: unknown;
    if (this.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, active);
      } catch (e) {
        manageError = e;
      }
    }
    const status = calculateStatus(rs, active, now, manageError);
    if (!deepEqual(pickStatus(rs.status), status)) {
      const next = deepCopy(rs);
      next.status = { ...(rs.status as object), ...status };
      if (!status.conditions) delete (next.status as { conditions?: unknown }).conditions;
      await this.d.client.updateStatus(REPLICA_SET, next);
    }
    const wait = minAvailabilityWait(active, spec.minReadySeconds ?? 0, now);
    if (wait !== undefined) this.queue.addAfter(key, wait + 100);
    if (manageError) throw manageError;
  }

  /** Adopts matching orphans and releases owned pods that stopped matching; returns the owned pods. */
  private async claimPods(rs: KObject, selector: LabelMatcher): Promise<KObject[]> {
    const owned: KObject[] = [];
    for (const pod of this.d.pods.list(rs.metadata.namespace)) {
      const ref = controllerRefOf(pod);
      const matches = selector.matches(pod.metadata.labels ?? {});
      if (ref) {
        if (ref.uid !== rs.metadata.uid) continue;
        if (matches || rs.metadata.deletionTimestamp) {
          owned.push(pod);
          continue;
        }
        if (pod.metadata.deletionTimestamp) continue;
        const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid);
        await ignoreNotFound(this.d.client.patch(POD, pod.metadata.namespace, pod.metadata.name!, 'merge', ownerRefsPatch(pod, refs)));
        continue;
      }
      if (!matches || rs.metadata.deletionTimestamp || pod.metadata.deletionTimestamp || !isPodActive(pod)) continue;
      const refs = [...(pod.metadata.ownerReferences ?? []), newControllerRef(rs, 'apps/v1', 'ReplicaSet')];
      try {
        await this.d.client.patch(POD, pod.metadata.namespace, pod.metadata.name!, 'merge', ownerRefsPatch(pod, refs));
        owned.push({ ...pod, metadata: { ...pod.metadata, ownerReferences: refs } });
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
    return owned;
  }

  private async manageReplicas(key: string, rs: KObject, active: KObject[]): Promise<void> {
    const spec = (rs.spec ?? {}) as RSSpec;
    const diff = active.length - (spec.replicas ?? 1);
    if (diff < 0) {
      const want = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expectCreations(key, want);
      let created = 0;
      // Slow start: 1, 2, 4, ... so a failing template costs one error, not hundreds.
      for (let batch = 1; created < want; batch = Math.min(batch * 2, want - created)) {
        const n = Math.min(batch, want - created);
        const results = await Promise.allSettled(Array.from({ length: n }, () => this.createPod(rs)));
        const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
        created += n;
        if (failed.length) {
          this.expectations.lowerCreations(key, failed.length + (want - created));
          throw failed[0]!.reason;
        }
      }
    } else if (diff > 0) {
      const victims = podsToDelete(active, diff, this.clock());
      this.expectations.expectDeletions(key, victims.map(keyOf));
      const results = await Promise.allSettled(victims.map(async (p) => {
        try {
          await this.d.client.delete(POD, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
          this.d.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          this.expectations.deletionObserved(key, keyOf(p));
          if (isStatusError(e) && e.code === 404) return;
          this.d.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          throw e;
        }
      }));
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    }
  }

  private async createPod(rs: KObject): Promise<void> {
    const spec = (rs.spec ?? {}) as RSSpec;
    const tmpl = spec.template ?? {};
    const pod: KObject = {
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
      },
      spec: deepCopy(tmpl.spec ?? {}),
    };
    if (tmpl.metadata?.annotations) pod.metadata.annotations = { ...tmpl.metadata.annotations };
    try {
      const created = await this.d.client.create(POD, rs.metadata.namespace, pod);
      this.d.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      this.d.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }
}

function matcherOf(rs: KObject): LabelMatcher | undefined {
  try {
    return labelSelectorAsMatcher((rs.spec as RSSpec | undefined)?.selector);
  } catch {
    return undefined;
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(isStatusError(e) && e.code === 404)) throw e;
  }
}

function pickStatus(s: unknown): ReplicaSetStatus {
  const st = (s ?? {}) as Partial<ReplicaSetStatus>;
  const out: ReplicaSetStatus = {
    replicas: st.replicas ?? 0, fullyLabeledReplicas: st.fullyLabeledReplicas ?? 0, readyReplicas: st.readyReplicas ?? 0,
    availableReplicas: st.availableReplicas ?? 0, observedGeneration: st.observedGeneration,
  };
  if (st.conditions?.length) out.conditions = st.conditions;
  return out;
}

export function calculateStatus(rs: KObject, active: KObject[], now: number, manageError?: unknown): ReplicaSetStatus {
  const spec = (rs.spec ?? {}) as RSSpec;
  const templateLabels = selectorFromSet(spec.template?.metadata?.labels ?? {});
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: active.filter((p) => templateLabels.matches(p.metadata.labels ?? {})).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((p) => podAvailability(p, spec.minReadySeconds ?? 0, now).available).length,
    observedGeneration: rs.metadata.generation,
  };
  const prior = ((rs.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  if (manageError && (active.length < (spec.replicas ?? 1))) {
    const old = ((rs.status as { conditions?: { type: string; lastTransitionTime?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'ReplicaFailure');
    prior.push({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: (manageError as Error).message, lastTransitionTime: old?.lastTransitionTime ?? new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') } as { type: string });
  }
  if (prior.length) status.conditions = prior;
  return status;
}

/** The shortest wait until a ready pod becomes available, if any is waiting. */
function minAvailabilityWait(active: KObject[], minReadySeconds: number, now: number): number | undefined {
  if (!minReadySeconds) return undefined;
  let min: number | undefined;
  for (const p of active) {
    const a = podAvailability(p, minReadySeconds, now);
    if (a.waitMs !== undefined) min = min === undefined ? a.waitMs : Math.min(min, a.waitMs);
  }
  return min;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Which pods go first when scaling down (Kubernetes' ActivePods order): unscheduled before
 * scheduled, pending before running, not ready before ready, ready for less time before
 * longer, more restarts before fewer, newer before older.
 */
export function podsToDelete(pods: KObject[], n: number, _now: number): KObject[] {
  const restarts = (p: KObject) => ((p.status as { containerStatuses?: { restartCount?: number }[] } | undefined)?.containerStatuses ?? []).reduce((a, c) => a + (c.restartCount ?? 0), 0);
  const readySince = (p: KObject) => Date.parse(podReadyCondition(p)?.lastTransitionTime ?? '') || 0;
  const sorted = [...pods].sort((a, b) => {
    const na = (a.spec as { nodeName?: string } | undefined)?.nodeName ? 1 : 0;
    const nb = (b.spec as { nodeName?: string } | undefined)?.nodeName ? 1 : 0;
    if (na !== nb) return na - nb;
    const pa = PHASE_RANK[podPhase(a)] ?? 1;
    const pb = PHASE_RANK[podPhase(b)] ?? 1;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a) ? 1 : 0;
    const rb = isPodReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    if (ra && rb && readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const cb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ca !== cb) return cb - ca;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
  });
  return sorted.slice(0, n);
}

export { splitKey };
