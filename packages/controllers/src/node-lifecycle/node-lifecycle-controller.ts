import { deepCopy, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { nowRFC3339 } from '../common/pod-state';

export const NODE = findByKind('v1', 'Node')!;
const POD = findByKind('v1', 'Pod')!;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';

export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS = 40_000;
export const DEFAULT_POD_EVICTION_TIMEOUT_MS = 300_000;

interface Condition { type: string; status: string; reason?: string; message?: string; lastHeartbeatTime?: string; lastTransitionTime?: string }
interface Taint { key: string; value?: string; effect: string; timeAdded?: string }
interface Toleration { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number | null }

export interface NodeLifecycleOptions {
  /** A node whose Lease and Ready heartbeat are older than this becomes Ready=Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** How long pods without a toleration for the NoExecute taint stay on a not-ready node (default 300 s). */
  podEvictionTimeoutMs?: number;
}

export interface NodeLifecycleControllerDeps extends NodeLifecycleOptions {
  nodes: ObjectCache;
  /** Pods, indexed by `node`. */
  pods: ObjectCache;
  leases: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

const ts = (s: unknown): number => (typeof s === 'string' ? Date.parse(s) || 0 : 0);

function conditionsOf(o: KObject): Condition[] {
  return ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
}

/** Whether a toleration matches a taint (Kubernetes' ToleratesTaint). */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  if (t.key !== taint.key) return false;
  return (t.value ?? '') === (taint.value ?? '');
}

/**
 * Milliseconds a pod may stay on a node with the NoExecute taint: the smallest tolerationSeconds
 * of the matching tolerations, Infinity when one tolerates forever, the eviction timeout when none matches.
 */
export function tolerationMs(pod: KObject, taint: Taint, evictionTimeoutMs: number): number {
  const tols = ((pod.spec as { tolerations?: Toleration[] } | undefined)?.tolerations ?? []).filter((t) => toleratesTaint(t, taint));
  if (!tols.length) return evictionTimeoutMs;
  let min = Infinity;
  for (const t of tols) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    min = Math.min(min, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return min;
}

/**
 * Kubernetes' node lifecycle controller: marks nodes whose Lease / Ready heartbeat stopped
 * Ready=Unknown (and their pods not ready), keeps the `not-ready` / `unreachable` NoExecute
 * taints in line with the Ready condition, and evicts pods once their toleration runs out.
 */
export class NodeLifecycleController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;
  readonly gracePeriodMs: number;
  readonly evictionTimeoutMs: number;

  constructor(private readonly d: NodeLifecycleControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
    this.gracePeriodMs = d.nodeMonitorGracePeriodMs ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_MS;
    this.evictionTimeoutMs = d.podEvictionTimeoutMs ?? DEFAULT_POD_EVICTION_TIMEOUT_MS;
  }

  register(nodes: Informer, pods: Informer, leases: Informer): void {
    nodes.addHandler({
      add: (n) => this.queue.add(keyOf(n)),
      update: (_o, n) => this.queue.add(keyOf(n)),
      delete: (n) => this.queue.add(keyOf(n)),
    });
    const podNode = (p: KObject) => (p.spec as { nodeName?: string } | undefined)?.nodeName;
    pods.addHandler({
      add: (p) => { const n = podNode(p); if (n) this.queue.add(n); },
      update: (_o, p) => { const n = podNode(p); if (n) this.queue.add(n); },
      delete: () => undefined,
    });
    const leaseNode = (l: KObject) => (l.metadata.namespace === NODE_LEASE_NAMESPACE ? l.metadata.name : undefined);
    leases.addHandler({
      add: (l) => { const n = leaseNode(l); if (n) this.queue.add(n); },
      update: (_o, l) => { const n = leaseNode(l); if (n) this.queue.add(n); },
      delete: () => undefined,
    });
  }

  /** The newest sign of life: lease renewal, Ready heartbeat, or the node's creation. */
  lastProbe(node: KObject): number {
    const lease = this.d.leases.getByName(NODE_LEASE_NAMESPACE, node.metadata.name!);
    const renew = ts((lease?.spec as { renewTime?: string } | undefined)?.renewTime);
    const ready = conditionsOf(node).find((c) => c.type === 'Ready');
    return Math.max(renew, ts(ready?.lastHeartbeatTime), ts(node.metadata.creationTimestamp));
  }

  async reconcile(key: string): Promise<void> {
    let node = this.d.nodes.get(key);
    if (!node) return;
    const now = this.clock();
    const probe = this.lastProbe(node);
    const staleIn = probe + this.gracePeriodMs - now;
    let readyStatus = conditionsOf(node).find((c) => c.type === 'Ready')?.status ?? 'Unknown';
    let requeue: number | undefined;
    if (staleIn < 0) {
      if (conditionsOf(node).find((c) => c.type === 'Ready')?.status !== 'Unknown') {
        node = await this.markUnknown(node, now);
      }
      readyStatus = 'Unknown';
    } else {
      requeue = staleIn + 50;
    }
    const taint = await this.syncTaints(node, readyStatus, now);
    const wait = taint ? await this.evictPods(node, taint, now) : undefined;
    for (const w of [requeue, wait]) if (w !== undefined && Number.isFinite(w)) this.queue.addAfter(key, Math.max(w, 50));
  }

  private async markUnknown(node: KObject, now: number): Promise<KObject> {
    const at = nowRFC3339(now);
    const next = deepCopy(node);
    const st = (next.status ??= {}) as { conditions?: Condition[] };
    const conds = st.conditions ?? [];
    if (!conds.some((c) => c.type === 'Ready')) conds.push({ type: 'Ready', status: 'Unknown', lastHeartbeatTime: nowRFC3339(this.lastProbe(node)) });
    for (const c of conds) {
      if (!['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].includes(c.type)) continue;
      if (c.status !== 'Unknown') c.lastTransitionTime = at;
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = NODE_STATUS_UNKNOWN_MESSAGE;
    }
    st.conditions = conds;
    const written = await this.d.client.updateStatus(NODE, next);
    this.d.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`);
    this.d.log.info('node stopped posting status', { node: node.metadata.name });
    await this.markPodsNotReady(node, at);
    return written.metadata.resourceVersion ? written : next;
  }

  private async markPodsNotReady(node: KObject, at: string): Promise<void> {
    for (const pod of this.d.pods.byIndex('node', node.metadata.name!)) {
      if (pod.metadata.deletionTimestamp) continue;
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const conds = conditionsOf(pod);
      const ready = conds.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      const next = deepCopy(pod);
      const st = (next.status ??= {}) as { conditions?: Condition[] };
      const nc = (st.conditions ?? []).filter((c) => c.type !== 'Ready');
      nc.push({ type: 'Ready', status: 'False', lastTransitionTime: at, reason: 'NodeNotReady' } as Condition);
      st.conditions = nc;
      try {
        await this.d.client.updateStatus(POD, next);
        this.d.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e) {
        if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  }

  /** Keeps the NoExecute taint in line with Ready; returns the taint in effect (with timeAdded), if any. */
  private async syncTaints(node: KObject, readyStatus: string, now: number): Promise<Taint | undefined> {
    const want = readyStatus === 'Unknown' ? TAINT_UNREACHABLE : readyStatus === 'False' ? TAINT_NOT_READY : undefined;
    const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []);
    const ours = (t: Taint) => t.effect === 'NoExecute' && (t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY);
    const existing = want ? taints.find((t) => ours(t) && t.key === want) : undefined;
    const stale = taints.filter((t) => ours(t) && t.key !== want);
    if (!stale.length && (existing || !want)) return existing;
    const desired: Taint | undefined = existing ?? (want ? { key: want, effect: 'NoExecute', timeAdded: nowRFC3339(now) } : undefined);
    const next = taints.filter((t) => !ours(t));
    if (desired) next.push(desired);
    await this.d.client.patch(NODE, undefined, node.metadata.name!, 'merge', { metadata: { uid: node.metadata.uid }, spec: { taints: next.length ? next : null } });
    this.d.log.info(desired ? 'node tainted' : 'node taint removed', { node: node.metadata.name, taint: desired?.key ?? stale.map((t) => t.key).join(',') });
    return desired;
  }

  /** Deletes pods whose toleration of the taint has run out; returns the ms until the next one does. */
  private async evictPods(node: KObject, taint: Taint, now: number): Promise<number | undefined> {
    const since = ts(taint.timeAdded) || now;
    let next: number | undefined;
    for (const pod of this.d.pods.byIndex('node', node.metadata.name!)) {
      if (pod.metadata.deletionTimestamp) continue;
      const tol = tolerationMs(pod, taint, this.evictionTimeoutMs);
      if (!Number.isFinite(tol)) continue;
      const left = since + tol - now;
      if (left > 0) {
        next = next === undefined ? left : Math.min(next, left);
        continue;
      }
      try {
        await this.d.client.delete(POD, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } });
        this.d.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
        this.d.log.info('pod evicted from a not-ready node', { node: node.metadata.name, pod: keyOf(pod), taint: taint.key });
      } catch (e) {
        if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
    }
    return next;
  }
}
