import { deepCopy, deepEqual, findByKind, isStatusError, KObject, labelSelectorAsMatcher } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { PersistentVolumeClaim, PodSpec, Volume } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { controllerRefOf, newControllerRef, ownerRefsPatch, resolveControllerRef } from '../common/controller-ref';
import { isPodReady, podAvailability, podPhase } from '../common/pod-state';
import { computeHash, dropNulls, type PodTemplate } from '../deployment/deployment-util';
import { countStatus, ordinalOf, planStatefulSet, podName, type PlanInput, type PlanStep, type SetPod } from './plan-stateful-set';

export const STATEFUL_SET = findByKind('apps/v1', 'StatefulSet')!;
export const CONTROLLER_REVISION = findByKind('apps/v1', 'ControllerRevision')!;
const POD = findByKind('v1', 'Pod')!;
const PVC = findByKind('v1', 'PersistentVolumeClaim')!;

export const STATEFULSET_POD_NAME = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX = 'apps.kubernetes.io/pod-index';
export const REVISION_HASH = 'controller-revision-hash';

interface ClaimTemplate { metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: PersistentVolumeClaim['spec'] }

export interface StatefulSetSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  serviceName?: string;
  template?: PodTemplate & { spec?: PodSpec };
  volumeClaimTemplates?: ClaimTemplate[];
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  ordinals?: { start?: number };
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount?: number;
}

export interface StatefulSetControllerDeps {
  statefulSets: ObjectCache;
  /** Pods, indexed by `owner` uid. */
  pods: ObjectCache;
  /** ControllerRevisions, indexed by `owner` uid. */
  revisions: ObjectCache;
  claims: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

const specOf = (set: KObject): StatefulSetSpec => (set.spec ?? {}) as StatefulSetSpec;

/** `<claim template>-<set>-<ordinal>`, the PVC a pod of the set mounts. */
export function claimName(template: string, setName: string, ordinal: number): string {
  return `${template}-${setName}-${ordinal}`;
}

/** The revision name for a template: `<set>-<hash>` (hash of the template and collision count). */
export function revisionName(set: KObject, template: PodTemplate | undefined, collisionCount?: number): string {
  return `${set.metadata.name}-${computeHash(template ?? {}, collisionCount)}`;
}

/** The pod template a ControllerRevision holds. */
export function revisionTemplate(cr: KObject): PodTemplate | undefined {
  const data = (cr as KObject & { data?: { spec?: { template?: PodTemplate } } }).data;
  const t = data?.spec?.template;
  if (!t) return undefined;
  const out = deepCopy(t);
  delete (out as Record<string, unknown>)['$patch'];
  return out;
}

function revisionNumber(cr: KObject): number {
  return Number((cr as KObject & { revision?: number }).revision ?? 0) || 0;
}

/**
 * The pod for one ordinal: template labels plus the stable identity labels, hostname =
 * pod name and subdomain = serviceName (so `<pod>.<service>` resolves), a
 * persistentVolumeClaim volume per claim template (replacing a template volume of that name).
 */
export function newStatefulSetPod(set: KObject, template: PodTemplate | undefined, revision: string, ordinal: number): KObject {
  const spec = specOf(set);
  const name = podName(set.metadata.name!, ordinal);
  const podSpec = deepCopy((template?.spec ?? {}) as PodSpec);
  podSpec.hostname = name;
  if (spec.serviceName) podSpec.subdomain = spec.serviceName;
  const claims = (spec.volumeClaimTemplates ?? []).map((c) => c.metadata?.name ?? '').filter(Boolean);
  if (claims.length) {
    const volumes: Volume[] = (podSpec.volumes ?? []).filter((v) => !claims.includes(v.name));
    for (const c of claims) volumes.push({ name: c, persistentVolumeClaim: { claimName: claimName(c, set.metadata.name!, ordinal) } });
    podSpec.volumes = volumes;
  }
  const pod: KObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: set.metadata.namespace,
      labels: { ...(template?.metadata?.labels ?? {}), [STATEFULSET_POD_NAME]: name, [POD_INDEX]: String(ordinal), [REVISION_HASH]: revision },
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec: podSpec as unknown as Record<string, unknown>,
  };
  const ann = template?.metadata?.annotations;
  if (ann && Object.keys(ann).length) pod.metadata.annotations = { ...ann };
  return pod;
}

/** The PVCs a pod of the set needs, from the claim templates. */
export function newClaims(set: KObject, ordinal: number): KObject[] {
  const spec = specOf(set);
  const retainOnDelete = (spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain') !== 'Delete';
  return (spec.volumeClaimTemplates ?? []).filter((c) => c.metadata?.name).map((c) => {
    const labels = { ...(c.metadata?.labels ?? {}), ...(spec.selector?.matchLabels ?? {}) };
    const pvc: KObject = {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { name: claimName(c.metadata!.name!, set.metadata.name!, ordinal), namespace: set.metadata.namespace, labels },
      spec: deepCopy((c.spec ?? {}) as Record<string, unknown>),
    };
    if (c.metadata?.annotations && Object.keys(c.metadata.annotations).length) pvc.metadata.annotations = { ...c.metadata.annotations };
    // Kubernetes keeps claims by default; with whenDeleted: Delete the set owns them (the garbage collector removes them with it).
    if (!retainOnDelete) pvc.metadata.ownerReferences = [{ ...newControllerRef(set, 'apps/v1', 'StatefulSet'), controller: false }];
    return pvc;
  });
}

/**
 * apps/v1 StatefulSets: stable pod names and identities, PVCs from volumeClaimTemplates
 * (kept when pods and the set go, as Kubernetes does by default), OrderedReady and Parallel
 * pod management, ControllerRevisions for the template, RollingUpdate in reverse ordinal
 * order with partition, OnDelete, and status. The decision is `planStatefulSet` (pure).
 */
export class StatefulSetController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;

  constructor(private readonly d: StatefulSetControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  register(statefulSets: Informer, pods: Informer, revisions: Informer, claims?: Informer): void {
    statefulSets.addHandler({
      add: (o) => this.queue.add(keyOf(o)),
      update: (_o, n) => this.queue.add(keyOf(n)),
      delete: (o) => this.queue.add(keyOf(o)),
    });
    const byOwner = { add: (o: KObject) => this.enqueueOwner(o), update: (_o: KObject, n: KObject) => this.enqueueOwner(n), delete: (o: KObject) => this.enqueueOwner(o) };
    pods.addHandler(byOwner);
    revisions.addHandler(byOwner);
    // A claim that went away (or finished terminating) may unblock a pod's creation.
    claims?.addHandler({ delete: () => { for (const s of this.d.statefulSets.list()) this.queue.add(keyOf(s)); } });
  }

  private enqueueOwner(o: KObject): void {
    const ref = controllerRefOf(o);
    if (!ref) {
      // An orphan pod named like a set's member may be adopted by it.
      for (const s of this.d.statefulSets.list(o.metadata.namespace)) if (ordinalOf(s.metadata.name!, o.metadata.name ?? '') >= 0) this.queue.add(keyOf(s));
      return;
    }
    const set = resolveControllerRef(ref, 'StatefulSet', (n) => this.d.statefulSets.getByName(o.metadata.namespace, n));
    if (set) this.queue.add(keyOf(set));
  }

  /**
   * The set's pods: adopts orphans whose name is `<set>-<ordinal>` and whose labels match the
   * selector, and releases owned pods whose labels stopped matching (Kubernetes' ClaimPods).
   */
  private async claimPods(set: KObject): Promise<KObject[]> {
    let matcher: ReturnType<typeof labelSelectorAsMatcher> | undefined;
    try {
      matcher = labelSelectorAsMatcher(specOf(set).selector);
    } catch {
      matcher = undefined;
    }
    const owned: KObject[] = [];
    for (const pod of this.d.pods.list(set.metadata.namespace)) {
      const ref = controllerRefOf(pod);
      const matches = !!matcher?.matches(pod.metadata.labels ?? {}) && ordinalOf(set.metadata.name!, pod.metadata.name!) >= 0;
      if (ref) {
        if (ref.uid !== set.metadata.uid) continue;
        if (matches || pod.metadata.deletionTimestamp) {
          owned.push(pod);
          continue;
        }
        const refs = (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid);
        await this.patchPod(pod, refs);
        continue;
      }
      if (!matches || pod.metadata.deletionTimestamp) continue;
      const refs = [...(pod.metadata.ownerReferences ?? []), newControllerRef(set, 'apps/v1', 'StatefulSet')];
      if (await this.patchPod(pod, refs)) owned.push({ ...pod, metadata: { ...pod.metadata, ownerReferences: refs } });
    }
    return owned;
  }

  private async patchPod(pod: KObject, refs: NonNullable<KObject['metadata']['ownerReferences']>): Promise<boolean> {
    try {
      await this.d.client.patch(POD, pod.metadata.namespace, pod.metadata.name!, 'merge', ownerRefsPatch(pod, refs));
      return true;
    } catch (e) {
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) return false;
      throw e;
    }
  }

  private ownedRevisions(set: KObject): KObject[] {
    return this.d.revisions.byIndex('owner', set.metadata.uid!).filter((r) => controllerRefOf(r)?.uid === set.metadata.uid)
      .sort((a, b) => revisionNumber(a) - revisionNumber(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }

  async reconcile(key: string): Promise<void> {
    const set = this.d.statefulSets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const spec = specOf(set);
    const { update, current, collisionCount, revisions } = await this.syncRevisions(set);
    const pods = await this.claimPods(set);
    const now = this.clock();
    const setPods = pods.map((p) => toSetPod(set.metadata.name!, p));
    const input: PlanInput = {
      setName: set.metadata.name!,
      replicas: spec.replicas ?? 1,
      start: spec.ordinals?.start ?? 0,
      policy: spec.podManagementPolicy === 'Parallel' ? 'Parallel' : 'OrderedReady',
      strategy: spec.updateStrategy?.type === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
      partition: spec.updateStrategy?.rollingUpdate?.partition ?? 0,
      currentRevision: current.metadata.name!,
      updateRevision: update.metadata.name!,
      pods: setPods,
    };
    const plan = planStatefulSet(input);
    let err: unknown;
    try {
      await this.execute(set, plan.steps, revisions, pods);
    } catch (e) {
      err = e;
    }
    if (plan.waitingFor) this.d.log.debug('statefulset waiting', { key, for: plan.waitingFor });

    let waitMs: number | undefined;
    const counted = setPods.map((sp, i) => {
      const av = podAvailability(pods[i]!, spec.minReadySeconds ?? 0, now);
      if (!av.available && av.waitMs !== undefined) waitMs = Math.min(waitMs ?? Infinity, av.waitMs);
      return { ...sp, available: av.available };
    });
    const counts = countStatus(counted, current.metadata.name!, update.metadata.name!);
    const st: StatefulSetStatus = { ...counts, currentRevision: current.metadata.name!, updateRevision: update.metadata.name! };
    // A finished rolling update makes the update revision the current one.
    if (input.strategy === 'RollingUpdate' && counts.updatedReplicas === counts.replicas && counts.readyReplicas === counts.replicas && counts.replicas === (spec.replicas ?? 1)) {
      st.currentRevision = st.updateRevision;
      st.currentReplicas = counts.updatedReplicas;
    }
    if (set.metadata.generation !== undefined) st.observedGeneration = set.metadata.generation;
    if (collisionCount) st.collisionCount = collisionCount;
    if (waitMs !== undefined) this.queue.addAfter(key, waitMs + 50);
    await this.updateStatus(set, st);
    await this.truncateHistory(set, pods, st, this.ownedRevisions(set));
    if (err) throw err;
  }

  /** Finds or creates the ControllerRevision of the current template; returns it with the current one. */
  private async syncRevisions(set: KObject): Promise<{ update: KObject; current: KObject; collisionCount: number; revisions: KObject[] }> {
    const spec = specOf(set);
    const status = (set.status ?? {}) as Partial<StatefulSetStatus>;
    let collisionCount = status.collisionCount ?? 0;
    const revisions = this.ownedRevisions(set);
    const template = dropNulls(deepCopy(spec.template ?? {}));
    const maxRev = revisions.reduce((m, r) => Math.max(m, revisionNumber(r)), 0);
    let update: KObject | undefined;
    for (;;) {
      const name = revisionName(set, template, collisionCount || undefined);
      const existing = revisions.find((r) => r.metadata.name === name) ?? this.d.revisions.getByName(set.metadata.namespace, name);
      if (existing && !deepEqual(dropNulls(revisionTemplate(existing) ?? {}), template)) {
        collisionCount++;
        continue;
      }
      if (existing) {
        update = existing;
        if (revisionNumber(existing) < maxRev) {
          // Going back to an earlier template: that revision becomes the newest.
          const next = deepCopy(existing) as KObject & { revision?: number };
          next.revision = maxRev + 1;
          update = await this.d.client.update(CONTROLLER_REVISION, next);
        }
        break;
      }
      const cr = {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: {
          name, namespace: set.metadata.namespace,
          labels: { ...(template.metadata?.labels ?? {}), [REVISION_HASH]: name },
          ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
        },
        data: { spec: { template: { ...template, $patch: 'replace' } } },
        revision: maxRev + 1,
      } as unknown as KObject;
      try {
        update = await this.d.client.create(CONTROLLER_REVISION, set.metadata.namespace, cr);
      } catch (e) {
        if (isStatusError(e) && e.code === 409) {
          // Created by an earlier pass the cache has not seen yet: use what we asked for.
          update = cr;
        } else throw e;
      }
      revisions.push(update);
      break;
    }
    const current = revisions.find((r) => r.metadata.name === status.currentRevision) ?? update;
    return { update, current, collisionCount, revisions };
  }

  private async execute(set: KObject, steps: PlanStep[], revisions: KObject[], pods: KObject[]): Promise<void> {
    const results = await Promise.allSettled(steps.map(async (s) => {
      if (s.action === 'create') {
        const cr = revisions.find((r) => r.metadata.name === s.revision);
        const template = cr ? revisionTemplate(cr) : specOf(set).template;
        await this.createClaims(set, s.ordinal, s.name);
        await this.createPod(set, newStatefulSetPod(set, template, s.revision, s.ordinal));
      } else {
        const pod = pods.find((p) => p.metadata.uid === s.uid);
        if (s.reason === 'condemned' && pod && specOf(set).persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') await this.claimsOwnedByPod(set, pod);
        await this.deletePod(set, s.name, s.uid);
      }
    }));
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
  }

  private async createClaims(set: KObject, ordinal: number, pod: string): Promise<void> {
    for (const pvc of newClaims(set, ordinal)) {
      const have = this.d.claims.getByName(pvc.metadata.namespace, pvc.metadata.name!);
      if (have) {
        if (have.metadata.deletionTimestamp) throw new Error(`pod ${pod}: claim ${pvc.metadata.name} is being deleted`);
        continue;
      }
      try {
        await this.d.client.create(PVC, set.metadata.namespace, pvc);
        this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${pvc.metadata.name} Pod ${pod} in StatefulSet ${set.metadata.name} success`);
      } catch (e) {
        if (isStatusError(e) && e.code === 409) continue;
        this.d.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${pvc.metadata.name} for Pod ${pod} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** whenScaled: Delete: the condemned pod becomes an owner of its claims, so they go with it. */
  private async claimsOwnedByPod(set: KObject, pod: KObject): Promise<void> {
    const ord = ordinalOf(set.metadata.name!, pod.metadata.name!);
    for (const want of newClaims(set, ord)) {
      const pvc = this.d.claims.getByName(want.metadata.namespace, want.metadata.name!);
      if (!pvc || (pvc.metadata.ownerReferences ?? []).some((r) => r.uid === pod.metadata.uid)) continue;
      const refs = [...(pvc.metadata.ownerReferences ?? []), { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid! }];
      await this.d.client.patch(PVC, pvc.metadata.namespace, pvc.metadata.name!, 'merge', { metadata: { uid: pvc.metadata.uid, ownerReferences: refs } });
    }
  }

  private async createPod(set: KObject, pod: KObject): Promise<void> {
    const msg = `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
    try {
      await this.d.client.create(POD, set.metadata.namespace, pod);
      this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `${msg} successful`);
    } catch (e) {
      // The cache has not seen a pod an earlier pass created: nothing to do.
      if (isStatusError(e) && e.code === 409) return;
      this.d.recorder.event(set, 'Warning', 'FailedCreate', `${msg} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  private async deletePod(set: KObject, name: string, uid: string): Promise<void> {
    const msg = `delete Pod ${name} in StatefulSet ${set.metadata.name}`;
    try {
      await this.d.client.delete(POD, set.metadata.namespace, name, { preconditions: { uid } });
      this.d.recorder.event(set, 'Normal', 'SuccessfulDelete', `${msg} successful`);
    } catch (e) {
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) return;
      this.d.recorder.event(set, 'Warning', 'FailedDelete', `${msg} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  private async updateStatus(set: KObject, st: StatefulSetStatus): Promise<void> {
    const prior = (set.status ?? {}) as Record<string, unknown>;
    const merged = { ...prior, ...st } as Record<string, unknown>;
    if (deepEqual(prior, merged)) return;
    const next = deepCopy(set);
    next.status = merged;
    try {
      await this.d.client.updateStatus(STATEFUL_SET, next);
    } catch (e) {
      // A newer set is on its way through the informer; its reconcile writes the status.
      if (isStatusError(e) && (e.code === 409 || e.code === 404)) return;
      throw e;
    }
  }

  /** Keeps revisionHistoryLimit revisions besides the current and update ones and those pods still use. */
  private async truncateHistory(set: KObject, pods: KObject[], st: StatefulSetStatus, revisions: KObject[]): Promise<void> {
    const live = new Set([st.currentRevision, st.updateRevision, ...pods.map((p) => p.metadata.labels?.[REVISION_HASH] ?? '')]);
    const history = revisions.filter((r) => !live.has(r.metadata.name!));
    const limit = specOf(set).revisionHistoryLimit ?? 10;
    const drop = history.slice(0, Math.max(0, history.length - limit));
    for (const r of drop) {
      try {
        await this.d.client.delete(CONTROLLER_REVISION, r.metadata.namespace, r.metadata.name!, { preconditions: { uid: r.metadata.uid } });
      } catch (e) {
        if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }
}

function toSetPod(setName: string, p: KObject): SetPod {
  const sp: SetPod = {
    name: p.metadata.name!, uid: p.metadata.uid!, ordinal: ordinalOf(setName, p.metadata.name!),
    phase: podPhase(p), ready: isPodReady(p), terminating: !!p.metadata.deletionTimestamp,
  };
  const rev = p.metadata.labels?.[REVISION_HASH];
  if (rev) sp.revision = rev;
  return sp;
}
