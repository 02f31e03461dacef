import { deepCopy, deepEqual, findByKind, KObject, labelSelectorAsMatcher, LabelMatcher } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { controllerRefOf } from '../common/controller-ref';
import { isPodReady, nowRFC3339 } from '../common/pod-state';
import { scaledValue, type IntOrPercent } from '../deployment/rollout-math';

export const PDB = findByKind('policy/v1', 'PodDisruptionBudget')!;

export interface PDBCondition { type: string; status: string; reason?: string; message?: string; observedGeneration?: number; lastTransitionTime?: string }

export interface PDBStatus {
  observedGeneration?: number;
  disruptedPods?: Record<string, string>;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  conditions?: PDBCondition[];
}

export interface DisruptionControllerDeps {
  pdbs: ObjectCache;
  pods: ObjectCache;
  /** Optional scale sources for pods' controllers (without them, expected pods = matching pods). */
  replicaSets?: ObjectCache;
  deployments?: ObjectCache;
  statefulSets?: ObjectCache;
  client: ApiClient;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

interface PDBSpec { minAvailable?: IntOrPercent; maxUnavailable?: IntOrPercent; selector?: unknown }

/** How long an admitted eviction counts against a budget before its pod's deletion is seen. */
export const DISRUPTED_POD_TIMEOUT_MS = 120_000;

/**
 * The pure budget arithmetic (Kubernetes' disruption controller): desiredHealthy from
 * minAvailable (int or % of expected, rounded up) or maxUnavailable (expected minus the int or
 * % rounded up), and disruptionsAllowed = max(0, currentHealthy - desiredHealthy).
 */
export function computeBudget(spec: { minAvailable?: IntOrPercent; maxUnavailable?: IntOrPercent }, expectedPods: number, currentHealthy: number): { desiredHealthy: number; disruptionsAllowed: number } {
  let desiredHealthy: number;
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const maxUnavailable = scaledValue(spec.maxUnavailable, expectedPods, true, 0);
    desiredHealthy = Math.max(0, expectedPods - maxUnavailable);
  } else if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    desiredHealthy = scaledValue(spec.minAvailable, expectedPods, true, 0);
  } else {
    // Neither set: policy/v1 defaults nothing; treat as minAvailable 1 would be invented, so all pods may go.
    desiredHealthy = 0;
  }
  return { desiredHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy) };
}

/**
 * policy/v1 PodDisruptionBudget status: currentHealthy (ready, not deleting pods matching the
 * selector), desiredHealthy, expectedPods (the scale of the pods' controllers, else the matching
 * pod count), disruptionsAllowed, observedGeneration and the DisruptionAllowed condition.
 * The eviction subresource reads status.disruptionsAllowed.
 */
export class DisruptionController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;

  constructor(private readonly d: DisruptionControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  register(pdbs: Informer, pods: Informer, scaleSources: Informer[] = []): void {
    pdbs.addHandler({
      add: (p) => this.queue.add(keyOf(p)),
      update: (_o, p) => this.queue.add(keyOf(p)),
      delete: () => undefined,
    });
    const podChanged = (p: KObject) => { for (const k of this.pdbKeysFor(p)) this.queue.add(k); };
    pods.addHandler({
      add: podChanged,
      update: (o, p) => { podChanged(o); podChanged(p); },
      delete: podChanged,
    });
    // A controller's scale changes expectedPods of the budgets in its namespace.
    const nsChanged = (o: KObject) => { for (const pdb of this.d.pdbs.list(o.metadata.namespace ?? '')) this.queue.add(keyOf(pdb)); };
    for (const s of scaleSources) s.addHandler({ add: nsChanged, update: (_o, n) => nsChanged(n), delete: nsChanged });
  }

  /** Keys of the budgets whose selector matches the pod. */
  pdbKeysFor(pod: KObject): string[] {
    const labels = pod.metadata.labels ?? {};
    return this.d.pdbs.list(pod.metadata.namespace ?? '').filter((pdb) => matcherOf(pdb)?.matches(labels)).map(keyOf);
  }

  async reconcile(key: string): Promise<void> {
    const pdb = this.d.pdbs.get(key);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const spec = (pdb.spec ?? {}) as PDBSpec;
    const matcher = matcherOf(pdb);
    const pods = matcher ? this.d.pods.list(pdb.metadata.namespace ?? '').filter((p) => matcher.matches(p.metadata.labels ?? {})) : [];
    const prior = (pdb.status ?? {}) as Partial<PDBStatus>;
    // Pods the eviction API admitted but whose deletion this cache has not seen yet stay
    // counted as disrupted for up to two minutes (Kubernetes' DisruptedPods map).
    const now = this.clock();
    const disrupted: Record<string, string> = {};
    for (const [name, at] of Object.entries(prior.disruptedPods ?? {})) {
      const pod = pods.find((p) => p.metadata.name === name);
      if (pod && !pod.metadata.deletionTimestamp && now - Date.parse(at) < DISRUPTED_POD_TIMEOUT_MS) disrupted[name] = at;
    }
    const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p) && !(p.metadata.name! in disrupted)).length;
    const expectedPods = this.expectedPods(pods);
    const { desiredHealthy, disruptionsAllowed } = computeBudget(spec, expectedPods, currentHealthy);

    const allowed = disruptionsAllowed > 0;
    const old = prior.conditions?.find((c) => c.type === 'DisruptionAllowed');
    const cond: PDBCondition = {
      type: 'DisruptionAllowed', status: allowed ? 'True' : 'False', reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      observedGeneration: pdb.metadata.generation,
      lastTransitionTime: old && old.status === (allowed ? 'True' : 'False') && old.lastTransitionTime ? old.lastTransitionTime : nowRFC3339(this.clock()),
    };
    if (cond.observedGeneration === undefined) delete cond.observedGeneration;
    const status: PDBStatus = {
      ...(pdb.metadata.generation !== undefined ? { observedGeneration: pdb.metadata.generation } : {}),
      disruptionsAllowed, currentHealthy, desiredHealthy, expectedPods,
      conditions: [...(prior.conditions ?? []).filter((c) => c.type !== 'DisruptionAllowed'), cond],
    };
    if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
    if (deepEqual(prior, status)) return;
    const next = deepCopy(pdb);
    next.status = status as unknown as Record<string, unknown>;
    await this.d.client.updateStatus(PDB, next);
  }

  /** Sum of the scale of the pods' distinct controllers; a pod without a known scalable controller counts as one. */
  private expectedPods(pods: KObject[]): number {
    const scales = new Map<string, number>();
    let loose = 0;
    for (const p of pods) {
      const found = this.controllerScale(p);
      if (found) scales.set(found.uid, found.replicas);
      else loose++;
    }
    let sum = loose;
    for (const v of scales.values()) sum += v;
    return sum;
  }

  private controllerScale(pod: KObject): { uid: string; replicas: number } | undefined {
    const ref = controllerRefOf(pod);
    if (!ref) return undefined;
    const ns = pod.metadata.namespace;
    const lookup = (cache: ObjectCache | undefined, name: string, uid: string): KObject | undefined => {
      const o = cache?.getByName(ns, name);
      return o && o.metadata.uid === uid ? o : undefined;
    };
    const replicasOf = (o: KObject) => ((o.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    if (ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/')) {
      const rs = lookup(this.d.replicaSets, ref.name, ref.uid);
      if (!rs) return undefined;
      // A Deployment's replica set: the Deployment's scale, as Kubernetes does.
      const dref = controllerRefOf(rs);
      if (dref?.kind === 'Deployment') {
        const dep = lookup(this.d.deployments, dref.name, dref.uid);
        if (dep) return { uid: dep.metadata.uid!, replicas: replicasOf(dep) };
      }
      return { uid: rs.metadata.uid!, replicas: replicasOf(rs) };
    }
    if (ref.kind === 'StatefulSet') {
      const ss = lookup(this.d.statefulSets, ref.name, ref.uid);
      return ss ? { uid: ss.metadata.uid!, replicas: replicasOf(ss) } : undefined;
    }
    return undefined;
  }
}

function matcherOf(pdb: KObject): LabelMatcher | undefined {
  try {
    const sel = (pdb.spec as PDBSpec | undefined)?.selector;
    // policy/v1: a null selector matches no pods, an empty one all pods.
    return labelSelectorAsMatcher(sel);
  } catch {
    return undefined;
  }
}
