import { deepCopy, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import { buildSnapshot, schedule } from '@skiff/scheduler';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { isPodTerminal, nowRFC3339 } from '../common/pod-state';

const POD = findByKind('v1', 'Pod')!;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

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
}

/**
 * Runs the pure `schedule()` for each pending pod on a snapshot of the informer caches and
 * binds the pod (the scheduler's only write besides events and the PodScheduled condition).
 * Pods bound but not yet seen bound in the cache are "assumed" so the next decision counts
 * them. Pods that fit nowhere wait until a node or pod changes.
 */
export class SchedulerLoop {
  readonly queue: WorkQueue;
  private readonly assumed = new Map<string, { pod: KObject; at: number }>();
  private readonly unschedulable = new Set<string>();
  private retryTimer?: NodeJS.Timeout;
  private readonly clock: () => number;

  constructor(private readonly d: SchedulerLoopDeps) {
    this.queue = d.queue ?? new WorkQueue(50, 10_000);
    this.clock = d.clock ?? Date.now;
  }

  register(pods: Informer, nodes: Informer): void {
    pods.addHandler({
      add: (p) => this.podChanged(p),
      update: (old, p) => {
        if (specOf(old).nodeName !== specOf(p).nodeName) this.retryUnschedulable();
        this.podChanged(p);
      },
      delete: (p) => {
        this.assumed.delete(keyOf(p));
        this.unschedulable.delete(keyOf(p));
        if (specOf(p).nodeName) this.retryUnschedulable();
      },
    });
    nodes.addHandler({ add: () => this.retryUnschedulable(), update: () => this.retryUnschedulable(), delete: () => this.retryUnschedulable() });
  }

  start(): void {
    const every = this.d.retryUnschedulableMs ?? 30_000;
    this.retryTimer = setInterval(() => this.retryUnschedulable(), every);
    this.retryTimer.unref?.();
  }

  stop(): void {
    if (this.retryTimer) clearInterval(this.retryTimer);
  }

  private podChanged(p: KObject): void {
    const key = keyOf(p);
    if (specOf(p).nodeName) {
      this.assumed.delete(key);
      this.unschedulable.delete(key);
      return;
    }
    if (this.isPending(p) && !this.unschedulable.has(key)) this.queue.add(key);
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
    this.unschedulable.clear();
  }

  private isPending(p: KObject): boolean {
    const s = specOf(p);
    return !s.nodeName && !p.metadata.deletionTimestamp && !isPodTerminal(p) && (s.schedulerName ?? DEFAULT_SCHEDULER_NAME) === DEFAULT_SCHEDULER_NAME;
  }

  async reconcile(key: string): Promise<void> {
    const pod = this.d.pods.get(key);
    if (!pod || !this.isPending(pod) || this.assumed.has(key)) return;
    const now = this.clock();
    for (const [k, a] of this.assumed) if (now - a.at > 30_000) this.assumed.delete(k);
    const placed: KObject[] = this.d.pods.list().filter((p) => specOf(p).nodeName);
    for (const a of this.assumed.values()) placed.push(a.pod);
    const snapshot = buildSnapshot(this.d.nodes.list() as unknown as Node[], placed as unknown as Pod[]);
    const result = schedule(pod as unknown as Pod, snapshot);
    const ref = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (result.node !== undefined) {
      try {
        await this.d.client.bind(pod.metadata.namespace!, pod.metadata.name!, result.node);
      } catch (e) {
        if (isStatusError(e) && (e.code === 404 || e.code === 409)) return;
        throw e;
      }
      this.assumed.set(key, { pod: { ...pod, spec: { ...(pod.spec as object), nodeName: result.node } }, at: now });
      this.d.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ref} to ${result.node}`);
      this.d.log.debug('pod bound', { pod: ref, node: result.node });
      return;
    }
    this.unschedulable.add(key);
    this.d.recorder.event(pod, 'Warning', 'FailedScheduling', result.message);
    await this.markUnschedulable(pod, result.message, now);
  }

  /** PodScheduled=False/Unschedulable with the message, as the Kubernetes scheduler sets it. */
  private async markUnschedulable(pod: KObject, message: string, now: number): Promise<void> {
    const status = deepCopy((pod.status ?? {}) as { conditions?: { type: string; status: string; reason?: string; message?: string }[] });
    const cur = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (cur && cur.status === 'False' && cur.message === message) return;
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: nowRFC3339(now), reason: 'Unschedulable', message } as never];
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
