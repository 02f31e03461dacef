import { deepCopy, deepEqual, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { Node, NodeSelectorTerm, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1';
import { podMatchesNodeSelectorAndAffinity, toleratesTaint } from '@skiff/scheduler';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { Expectations } from '../informer/expectations';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { createOwnedPod, deleteOwnedPods } from '../common/pod-control';
import { controllerRefOf, newControllerRef, resolveControllerRef } from '../common/controller-ref';
import { isPodActive, isPodReady, podAvailability, podPhase } from '../common/pod-state';
import { computeHash, type PodTemplate } from '../deployment/deployment-util';
import { scaledValue, type IntOrPercent } from '../deployment/rollout-math';

export const DAEMON_SET = findByKind('apps/v1', 'DaemonSet')!;
const POD = findByKind('v1', 'Pod')!;

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

interface DSSpec {
  selector?: unknown;
  template?: PodTemplate & { spec?: PodSpec };
  minReadySeconds?: number;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: IntOrPercent; maxSurge?: IntOrPercent } };
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable?: number;
}

export interface DaemonSetControllerDeps {
  daemonSets: ObjectCache;
  /** Pods, indexed by `owner` uid. */
  pods: ObjectCache;
  nodes: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

/** The tolerations Kubernetes adds to every DaemonSet pod (network-unavailable only with hostNetwork). */
export function daemonSetTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** The template's pod spec with the daemon tolerations added (those with the same key and effect are kept as given). */
export function withDaemonTolerations(spec: PodSpec): PodSpec {
  const out = deepCopy(spec);
  const have = out.tolerations ?? [];
  const add = daemonSetTolerations(out.hostNetwork === true).filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect));
  if (add.length) out.tolerations = [...have, ...add];
  return out;
}

/**
 * Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity: every required term gets
 * matchFields metadata.name In [node] (its matchExpressions kept); no terms: one such term.
 */
export function pinToNode(spec: PodSpec, node: string): PodSpec {
  const out = deepCopy(spec);
  const fieldReq = { key: 'metadata.name', operator: 'In', values: [node] };
  const affinity = out.affinity ?? {};
  const na = affinity.nodeAffinity ?? {};
  const terms = na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const next: NodeSelectorTerm[] = terms.length
    ? terms.map((t) => ({ ...t, matchFields: [fieldReq] }))
    : [{ matchFields: [fieldReq] }];
  out.affinity = { ...affinity, nodeAffinity: { ...na, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: next } } };
  return out;
}

/** The node a daemon pod is for: spec.nodeName, else its matchFields metadata.name pin. */
export function daemonPodNode(pod: KObject): string | undefined {
  const spec = (pod.spec ?? {}) as PodSpec;
  if (spec.nodeName) return spec.nodeName;
  for (const t of spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    const f = (t.matchFields ?? []).find((r) => r.key === 'metadata.name' && r.operator === 'In' && r.values?.length === 1);
    if (f) return f.values![0];
  }
  return undefined;
}

/**
 * shouldRun: the node matches nodeSelector / required node affinity and every NoSchedule and
 * NoExecute taint is tolerated; shouldContinueRunning: only NoExecute taints count.
 */
export function nodeShouldRunDaemonPod(ds: KObject, node: KObject): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = withDaemonTolerations(((ds.spec as DSSpec | undefined)?.template?.spec ?? {}) as PodSpec);
  const pod = { metadata: {}, spec } as Pod;
  const n = node as unknown as Node;
  if (!podMatchesNodeSelectorAndAffinity(pod, n)) return { shouldRun: false, shouldContinueRunning: false };
  const tol = spec.tolerations ?? [];
  const taints = n.spec?.taints ?? [];
  const noExec = taints.filter((t) => t.effect === 'NoExecute').every((t) => toleratesTaint(tol, t));
  const noSched = taints.filter((t) => t.effect === 'NoSchedule').every((t) => toleratesTaint(tol, t));
  return { shouldRun: noExec && noSched, shouldContinueRunning: noExec };
}

export function templateHash(ds: KObject): string {
  return computeHash(((ds.spec as DSSpec | undefined)?.template ?? {}) as PodTemplate);
}

/**
 * apps/v1 DaemonSets: one pod per eligible node (pinned with a required matchFields
 * metadata.name affinity and bound by the scheduler, as Kubernetes does), the daemon
 * tolerations, the controller-revision-hash label, RollingUpdate with maxUnavailable (OnDelete:
 * pods are replaced only when deleted), misscheduled / duplicate / failed pods deleted, status.
 */
export class DaemonSetController {
  readonly queue: WorkQueue;
  readonly expectations = new Expectations();
  private readonly clock: () => number;

  constructor(private readonly d: DaemonSetControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  register(daemonSets: Informer, pods: Informer, nodes: Informer): void {
    daemonSets.addHandler({
      add: (o) => this.queue.add(keyOf(o)),
      update: (_o, n) => this.queue.add(keyOf(n)),
      delete: (o) => { this.expectations.delete(keyOf(o)); this.queue.add(keyOf(o)); },
    });
    pods.addHandler({
      add: (p) => { const k = this.ownerKey(p); if (k) { this.expectations.creationObserved(k); this.queue.add(k); } },
      update: (_o, p) => { const k = this.ownerKey(p); if (k) this.queue.add(k); },
      delete: (p) => { const k = this.ownerKey(p); if (k) { this.expectations.deletionObserved(k, keyOf(p)); this.queue.add(k); } },
    });
    const all = () => { for (const ds of this.d.daemonSets.list()) this.queue.add(keyOf(ds)); };
    nodes.addHandler({
      add: all,
      update: (o, n) => { if (!deepEqual(o.metadata.labels, n.metadata.labels) || !deepEqual(o.spec, n.spec)) all(); },
      delete: all,
    });
  }

  ownerKey(pod: KObject): string | undefined {
    const ds = resolveControllerRef(controllerRefOf(pod), 'DaemonSet', (n) => this.d.daemonSets.getByName(pod.metadata.namespace, n));
    return ds ? keyOf(ds) : undefined;
  }

  async reconcile(key: string): Promise<void> {
    const ds = this.d.daemonSets.get(key);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    if (ds.metadata.deletionTimestamp) return;
    const hash = templateHash(ds);
    let err: unknown;
    if (this.expectations.satisfied(key)) {
      try {
        await this.manage(key, ds, hash);
      } catch (e) {
        err = e;
      }
    }
    await this.updateStatus(ds, hash);
    if (err) throw err;
  }

  /** Active daemon pods by node name (pods whose node is unknown under ''). */
  private podsByNode(ds: KObject): Map<string, KObject[]> {
    const out = new Map<string, KObject[]>();
    for (const p of this.d.pods.byIndex('owner', ds.metadata.uid!)) {
      if (controllerRefOf(p)?.uid !== ds.metadata.uid) continue;
      const n = daemonPodNode(p) ?? '';
      const list = out.get(n) ?? [];
      list.push(p);
      out.set(n, list);
    }
    return out;
  }

  private async manage(key: string, ds: KObject, hash: string): Promise<void> {
    const byNode = this.podsByNode(ds);
    const nodes = this.d.nodes.list();
    const create: string[] = [];
    const remove: KObject[] = [];
    for (const node of nodes) {
      const name = node.metadata.name!;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(ds, node);
      const pods = byNode.get(name) ?? [];
      byNode.delete(name);
      // Failed pods are deleted (and replaced); Succeeded ones too, a daemon should not exit.
      const terminal = pods.filter((p) => !p.metadata.deletionTimestamp && (podPhase(p) === 'Failed' || podPhase(p) === 'Succeeded'));
      remove.push(...terminal);
      const active = pods.filter(isPodActive);
      if (shouldRun && active.length === 0 && !pods.some((p) => p.metadata.deletionTimestamp)) {
        create.push(name);
      } else if (!shouldContinueRunning) {
        remove.push(...active);
      } else if (active.length > 1) {
        // Keep the oldest, running ones first.
        const sorted = [...active].sort((a, b) => (isPodReady(b) ? 1 : 0) - (isPodReady(a) ? 1 : 0) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
        remove.push(...sorted.slice(1));
      }
    }
    // Pods for nodes that no longer exist.
    for (const pods of byNode.values()) remove.push(...pods.filter(isPodActive));

    if (!create.length && !remove.length) await this.rollingUpdate(key, ds, hash);
    else await Promise.all([this.createPods(key, ds, hash, create), this.deletePods(key, ds, remove)]);
  }

  /** Deletes old-hash pods: unavailable ones always, available ones while fewer than maxUnavailable are unavailable. */
  private async rollingUpdate(key: string, ds: KObject, hash: string): Promise<void> {
    const spec = (ds.spec ?? {}) as DSSpec;
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const now = this.clock();
    const byNode = this.podsByNode(ds);
    let desired = 0;
    let unavailable = 0;
    const oldAvailable: KObject[] = [];
    const oldUnavailable: KObject[] = [];
    for (const node of this.d.nodes.list()) {
      if (!nodeShouldRunDaemonPod(ds, node).shouldRun) continue;
      desired++;
      const pod = (byNode.get(node.metadata.name!) ?? []).find(isPodActive);
      const available = !!pod && podAvailability(pod, spec.minReadySeconds ?? 0, now).available;
      if (!available) unavailable++;
      if (!pod || pod.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash) continue;
      (available ? oldAvailable : oldUnavailable).push(pod);
    }
    const maxUnavailable = Math.max(1, scaledValue(spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired, true, 1));
    const budget = Math.max(0, maxUnavailable - unavailable);
    const victims = [...oldUnavailable, ...oldAvailable.slice(0, budget)];
    if (victims.length) await this.deletePods(key, ds, victims);
  }

  private async createPods(key: string, ds: KObject, hash: string, nodes: string[]): Promise<void> {
    if (!nodes.length) return;
    this.expectations.expectCreations(key, nodes.length);
    const results = await Promise.allSettled(nodes.map((n) => this.createPod(ds, hash, n)));
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    if (failed.length) {
      this.expectations.lowerCreations(key, failed.length);
      throw failed[0]!.reason;
    }
  }

  private async createPod(ds: KObject, hash: string, node: string): Promise<void> {
    const tmpl = (ds.spec as DSSpec | undefined)?.template ?? {};
    const spec = pinToNode(withDaemonTolerations((tmpl.spec ?? {}) as PodSpec), node);
    const pod: KObject = {
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
        ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
      },
      spec: spec as unknown as Record<string, unknown>,
    };
    if (tmpl.metadata?.annotations && Object.keys(tmpl.metadata.annotations).length) pod.metadata.annotations = { ...tmpl.metadata.annotations };
    await createOwnedPod(this.d.client, this.d.recorder, ds, pod);
  }

  private async deletePods(key: string, ds: KObject, pods: KObject[]): Promise<void> {
    await deleteOwnedPods(this.d.client, this.d.recorder, this.expectations, key, ds, pods);
  }

  private async updateStatus(ds: KObject, hash: string): Promise<void> {
    const spec = (ds.spec ?? {}) as DSSpec;
    const now = this.clock();
    const byNode = this.podsByNode(ds);
    const st: DaemonSetStatus = {
      currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0,
      updatedNumberScheduled: 0, numberAvailable: 0,
    };
    let waitMs: number | undefined;
    for (const node of this.d.nodes.list()) {
      const { shouldRun } = nodeShouldRunDaemonPod(ds, node);
      const pods = (byNode.get(node.metadata.name!) ?? []).filter(isPodActive);
      if (shouldRun) st.desiredNumberScheduled++;
      if (!pods.length) continue;
      if (!shouldRun) { st.numberMisscheduled++; continue; }
      st.currentNumberScheduled++;
      const pod = pods[0]!;
      if (isPodReady(pod)) st.numberReady++;
      const av = podAvailability(pod, spec.minReadySeconds ?? 0, now);
      if (av.available) st.numberAvailable++;
      else if (av.waitMs !== undefined) waitMs = Math.min(waitMs ?? Infinity, av.waitMs);
      if (pod.metadata.labels?.[CONTROLLER_REVISION_HASH] === hash) st.updatedNumberScheduled++;
    }
    const unavailable = st.desiredNumberScheduled - st.numberAvailable;
    if (unavailable > 0) st.numberUnavailable = unavailable;
    if (ds.metadata.generation !== undefined) st.observedGeneration = ds.metadata.generation;
    if (waitMs !== undefined) this.queue.addAfter(keyOf(ds), waitMs + 50);
    const prior = (ds.status ?? {}) as Record<string, unknown>;
    const merged = { ...prior, ...st } as Record<string, unknown>;
    if (!st.numberUnavailable) delete merged.numberUnavailable;
    if (deepEqual(prior, merged)) return;
    const next = deepCopy(ds);
    next.status = merged;
    await this.d.client.updateStatus(DAEMON_SET, next);
  }
}

