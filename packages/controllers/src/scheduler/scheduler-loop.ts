import { deepCopy, findByKind, isStatusError, KObject, labelSelectorAsMatcher } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import {
  addPod, newNodeInfo, podPriority, schedule, selectVictims, SnapshotCache, type DisruptionBudget, type Snapshot, type VolumeLookup,
} from '@skiff/scheduler';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import type { WorkQueue } from '../informer/work-queue';
import { isPodTerminal, nowRFC3339 } from '../common/pod-state';
import { SchedulingQueue } from './scheduling-queue';

const POD = findByKind('v1', 'Pod')!;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
/** Bindings written concurrently while the loop goes on deciding (each pod is assumed meanwhile). */
export const DEFAULT_MAX_BINDS_IN_FLIGHT = 64;
/** An assumed pod the informer has not shown bound this long after its binding is forgotten. */
const ASSUME_TTL_MS = 30_000;

export interface SchedulerLoopDeps {
  pods: ObjectCache;
  nodes: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
  /** Unschedulable pods are retried at least this often even without cluster changes. */
  retryUnschedulableMs?: number;
  /** PersistentVolumeClaims and PersistentVolumes, for the VolumeBinding filter. */
  claims?: ObjectCache;
  volumes?: ObjectCache;
  /** PodDisruptionBudgets, which preemption avoids breaking where it can. */
  pdbs?: ObjectCache;
  maxBindsInFlight?: number;
}

interface Assumed { pod: KObject; at: number; bound: boolean }

/**
 * Runs the pure `schedule()` for each pending pod, highest priority first, on a snapshot
 * kept up to date from the informers (only changed nodes are rebuilt), and binds the pod
 * (the scheduler's only write besides events, status conditions and preemption). Bindings
 * are written concurrently: a pod is "assumed" on its node from the decision until the
 * informer shows it bound, so the next decisions count it. A pod that fits nowhere may
 * preempt lower-priority pods (deleted gracefully; the pod is nominated to their node and
 * scheduled once they are gone); otherwise it waits until a node or pod changes.
 */
export class SchedulerLoop {
  readonly queue: WorkQueue;
  private readonly state = new SnapshotCache();
  private readonly assumed = new Map<string, Assumed>();
  private readonly unschedulable = new Set<string>();
  /** Pods that preempted, by the node they wait for. */
  private readonly nominated = new Map<string, string>();
  private readonly binds = new Set<Promise<void>>();
  private slotWaiters: (() => void)[] = [];
  private registered = false;
  private lastSweep = 0;
  private retryTimer?: NodeJS.Timeout;
  private readonly clock: () => number;

  constructor(private readonly d: SchedulerLoopDeps) {
    this.queue = d.queue ?? new SchedulingQueue((key) => podPriority((d.pods.get(key) ?? {}) as Pod), 50, 10_000);
    this.clock = d.clock ?? Date.now;
  }

  /** `others` (e.g. claims and volumes): any change retries the unschedulable pods. */
  register(pods: Informer, nodes: Informer, ...others: Informer[]): void {
    this.registered = true;
    for (const p of this.d.pods.list()) this.observePod(p);
    for (const n of this.d.nodes.list()) this.state.setNode(n as unknown as Node);
    pods.addHandler({
      add: (p) => { this.observePod(p); this.podChanged(p); },
      update: (old, p) => {
        this.observePod(p);
        if (specOf(old).nodeName !== specOf(p).nodeName) this.retryUnschedulable();
        this.podChanged(p);
      },
      delete: (p) => this.podDeleted(p),
    });
    nodes.addHandler({
      add: (n) => { this.state.setNode(n as unknown as Node); this.retryUnschedulable(); },
      update: (_old, n) => { this.state.setNode(n as unknown as Node); this.retryUnschedulable(); },
      delete: (n) => { this.state.removeNode(n.metadata.name ?? ''); this.retryUnschedulable(); },
    });
    for (const i of others) i.addHandler({ add: () => this.retryUnschedulable(), update: () => this.retryUnschedulable(), delete: () => this.retryUnschedulable() });
  }

  start(): void {
    const every = this.d.retryUnschedulableMs ?? 30_000;
    this.retryTimer = setInterval(() => this.retryUnschedulable(), every);
    this.retryTimer.unref?.();
  }

  stop(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  /** Resolves when the bindings in flight have been written (or failed). */
  async flush(): Promise<void> {
    while (this.binds.size) await Promise.all([...this.binds]);
  }

  /** The pod as the scheduler counts it: an unbound pod it assumed stays on its assumed node. */
  private observePod(p: KObject): void {
    const key = keyOf(p);
    if (!specOf(p).nodeName && this.assumed.has(key)) return;
    this.state.setPod(key, p as unknown as Pod);
  }

  private podChanged(p: KObject): void {
    const key = keyOf(p);
    if (specOf(p).nodeName) {
      this.assumed.delete(key);
      this.unschedulable.delete(key);
      this.nominated.delete(key);
      return;
    }
    if (this.isPending(p) && !this.unschedulable.has(key)) this.queue.add(key);
  }

  private podDeleted(p: KObject): void {
    const key = keyOf(p);
    this.state.setPod(key, undefined);
    this.assumed.delete(key);
    this.unschedulable.delete(key);
    this.nominated.delete(key);
    if (specOf(p).nodeName) this.retryUnschedulable();
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
    this.unschedulable.clear();
  }

  private isPending(p: KObject): boolean {
    const s = specOf(p);
    return !s.nodeName && !p.metadata.deletionTimestamp && !isPodTerminal(p) && (s.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME;
  }

  /** The cluster for one decision: the maintained state, or (not registered, as in unit tests) one built from the caches. */
  private snapshot(): Snapshot {
    let snap: Snapshot;
    if (this.registered) {
      snap = this.state.snapshot();
    } else {
      const s = new SnapshotCache();
      for (const n of this.d.nodes.list()) s.setNode(n as unknown as Node);
      for (const p of this.d.pods.list()) s.setPod(keyOf(p), p as unknown as Pod);
      for (const [k, a] of this.assumed) s.setPod(k, a.pod as unknown as Pod);
      snap = s.snapshot();
    }
    if (this.d.claims && this.d.volumes) snap = { ...snap, volumes: volumeLookup(this.d.claims, this.d.volumes) };
    return snap;
  }

  /** Forgets bindings the informer never confirmed (at most once a second). */
  private sweepAssumed(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [k, a] of this.assumed) if (a.bound && now - a.at > ASSUME_TTL_MS) this.forgetAssumed(k);
  }

  private forgetAssumed(key: string): void {
    if (!this.assumed.delete(key)) return;
    const cur = this.d.pods.get(key);
    this.state.setPod(key, cur as unknown as Pod | undefined);
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.d.pods.get(key);
    if (!pod || !this.isPending(pod) || this.assumed.has(key)) return;
    const now = this.clock();
    this.sweepAssumed(now);
    const snapshot = this.snapshot();
    const result = schedule(pod as unknown as Pod, this.withNominatedPods(key, pod, snapshot));
    if (result.node !== undefined) {
      this.assumeAndBind(key, pod, result.node, now);
      const max = this.d.maxBindsInFlight ?? DEFAULT_MAX_BINDS_IN_FLIGHT;
      while (this.binds.size >= max) await new Promise<void>((r) => this.slotWaiters.push(r));
      return;
    }
    const nominated = await this.preempt(key, pod, snapshot);
    this.unschedulable.add(key);
    this.d.recorder.event(pod, 'Warning', 'FailedScheduling', result.message);
    await this.markUnschedulable(pod, result.message, now, nominated);
  }

  /**
   * The snapshot with the pods nominated by preemption counted on their nominated nodes when
   * they matter at least as much as this pod, so that it does not take the room they freed.
   */
  private withNominatedPods(key: string, pod: KObject, snapshot: Snapshot): Snapshot {
    if (this.nominated.size === 0) return snapshot;
    const prio = podPriority(pod as unknown as Pod);
    const extra = new Map<string, Pod[]>();
    for (const [k, node] of this.nominated) {
      const other = this.d.pods.get(k);
      if (k === key || !other || specOf(other).nodeName || podPriority(other as unknown as Pod) < prio) continue;
      const list = extra.get(node) ?? [];
      list.push({ ...(other as unknown as Pod), spec: { ...(other.spec as Pod['spec'])!, nodeName: node } });
      extra.set(node, list);
    }
    if (extra.size === 0) return snapshot;
    return {
      ...snapshot,
      nodes: snapshot.nodes.map((n) => {
        const add = extra.get(n.name);
        if (!add) return n;
        const info = newNodeInfo(n.node);
        for (const p of [...n.pods, ...add]) addPod(info, p);
        return info;
      }),
    };
  }

  private assumeAndBind(key: string, pod: KObject, node: string, now: number): void {
    const assumedPod: KObject = { ...pod, spec: { ...(pod.spec as object), nodeName: node } };
    this.assumed.set(key, { pod: assumedPod, at: now, bound: false });
    this.unschedulable.delete(key);
    if (this.registered) this.state.setPod(key, assumedPod as unknown as Pod);
    const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const p: Promise<void> = this.d.client.bind(pod.metadata.namespace!, pod.metadata.name!, node).then(() => {
      const a = this.assumed.get(key);
      if (a) { a.bound = true; a.at = this.clock(); }
      this.nominated.delete(key);
      this.d.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ref} to ${node}`);
      this.d.log.debug('pod bound', { pod: ref, node });
    }, (e: unknown) => {
      this.forgetAssumed(key);
      if (isStatusError(e) && (e.code === 404 || e.code === 409)) return;
      this.d.log.warn('binding failed, retrying', { pod: ref, node, error: (e as Error).message });
      this.queue.addRateLimited(key);
    }).finally(() => {
      this.binds.delete(p);
      this.slotWaiters.shift()?.();
    });
    this.binds.add(p);
  }

  private budgets(): DisruptionBudget[] {
    return (this.d.pdbs?.list() ?? []).map((pdb) => {
      let matches: (labels: Record<string, string>) => boolean;
      try {
        const m = labelSelectorAsMatcher((pdb.spec as { selector?: unknown } | undefined)?.selector as never);
        matches = (l) => m.matches(l);
      } catch {
        matches = () => false;
      }
      return { namespace: pdb.metadata.namespace ?? '', matches, disruptionsAllowed: (pdb.status as { disruptionsAllowed?: number } | undefined)?.disruptionsAllowed ?? 0 };
    });
  }

  /**
   * Evicts the victims preemption chose (graceful deletes, a `Preempted` event on each) and
   * returns the node the pod is nominated to; undefined when preemption cannot help.
   */
  private async preempt(key: string, pod: KObject, snapshot: Snapshot): Promise<string | undefined> {
    const previous = this.nominated.get(key) ?? (pod.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
    const cand = selectVictims(pod as unknown as Pod, snapshot, { pdbs: this.budgets(), nominatedNode: previous });
    if (!cand) return previous && this.d.nodes.get(previous) ? previous : undefined;
    const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.d.log.info('preempting', { pod: ref, node: cand.node, victims: cand.victims.map((v) => `${v.metadata?.namespace}/${v.metadata?.name}`), pdbViolations: cand.pdbViolations });
    for (const v of cand.victims) {
      const victim = v as unknown as KObject;
      try {
        await this.markDisruptionTarget(victim);
        await this.d.client.delete(POD, victim.metadata.namespace, victim.metadata.name!, { preconditions: { uid: victim.metadata.uid! } });
      } catch (e) {
        if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
        continue;
      }
      this.d.recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata.uid ?? ''} on node ${cand.node}`);
    }
    this.nominated.set(key, cand.node);
    return cand.node;
  }

  /** The DisruptionTarget condition Kubernetes sets on a victim before deleting it. */
  private async markDisruptionTarget(victim: KObject): Promise<void> {
    const status = deepCopy((victim.status ?? {}) as { conditions?: { type: string }[] });
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
      { type: 'DisruptionTarget', status: 'True', lastTransitionTime: nowRFC3339(this.clock()), reason: 'PreemptionByScheduler', message: `${DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod` } as never];
    try {
      await this.d.client.updateStatus(POD, { ...deepCopy(victim), status });
    } catch (e) {
      // A stale copy or a pod already gone: the delete that follows still decides.
      if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  /** PodScheduled=False/Unschedulable with the message (and the nominated node), as the Kubernetes scheduler sets them. */
  private async markUnschedulable(pod: KObject, message: string, now: number, nominatedNode?: string): Promise<void> {
    const status = deepCopy((pod.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string }[]; nominatedNodeName?: string });
    const cur = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.message === message && (status.nominatedNodeName ?? undefined) === nominatedNode) return;
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: nowRFC3339(now), reason: 'Unschedulable', message } as never];
    if (nominatedNode) status.nominatedNodeName = nominatedNode;
    else delete status.nominatedNodeName;
    const next = { ...deepCopy(pod), status: { phase: 'Pending', ...status } };
    try {
      await this.d.client.updateStatus(POD, next);
    } catch (e) {
      if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}

function specOf(p: KObject): { nodeName?: string; schedulerName?: string } {
  return (p.spec ?? {}) as { nodeName?: string; schedulerName?: string };
}

function volumeLookup(claims: ObjectCache, volumes: ObjectCache): VolumeLookup {
  return {
    claim: (ns, name) => claims.getByName(ns, name) as unknown as PersistentVolumeClaim | undefined,
    volume: (name) => volumes.getByName(undefined, name) as unknown as PersistentVolume | undefined,
    volumes: () => volumes.list() as unknown as PersistentVolume[],
  };
}
