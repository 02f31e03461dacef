import { deepCopy, deepEqual, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { Expectations } from '../informer/expectations';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { createOwnedPod, deleteOwnedPods } from '../common/pod-control';
import { controllerRefOf, newControllerRef, resolveControllerRef } from '../common/controller-ref';
import { isPodActive, isPodReady, nowRFC3339, podPhase } from '../common/pod-state';

export const JOB = findByKind('batch/v1', 'Job')!;
const POD = findByKind('v1', 'Pod')!;

export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

interface JobSpec {
  completions?: number | null;
  parallelism?: number | null;
  backoffLimit?: number | null;
  activeDeadlineSeconds?: number | null;
  ttlSecondsAfterFinished?: number | null;
  completionMode?: string;
  suspend?: boolean;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

export interface JobCondition { type: string; status: string; reason?: string; message?: string; lastProbeTime?: string; lastTransitionTime?: string }

export interface JobStatus {
  active: number;
  succeeded: number;
  failed: number;
  ready: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  conditions?: JobCondition[];
}

export interface JobControllerDeps {
  jobs: ObjectCache;
  /** Pods, indexed by `owner` uid. */
  pods: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

function specOf(job: KObject): JobSpec {
  return (job.spec ?? {}) as JobSpec;
}

function conditionsOf(job: KObject): JobCondition[] {
  return ((job.status as { conditions?: JobCondition[] } | undefined)?.conditions ?? []);
}

export function finishedCondition(job: KObject): JobCondition | undefined {
  return conditionsOf(job).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function podIndex(pod: KObject): number | undefined {
  const raw = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** `1,3-5,7`: the compact interval form Kubernetes uses for completedIndexes. */
export function formatIndexes(indexes: number[]): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * batch/v1 Jobs: runs pods until `completions` succeed (at most `parallelism` at a time), fails
 * the Job after more than `backoffLimit` failed pods or past `activeDeadlineSeconds`, Indexed
 * completion mode, status and conditions, and deletes finished Jobs after `ttlSecondsAfterFinished`.
 */
export class JobController {
  readonly queue: WorkQueue;
  readonly expectations = new Expectations();
  private readonly clock: () => number;

  constructor(private readonly d: JobControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  register(jobs: Informer, pods: Informer): void {
    jobs.addHandler({
      add: (j) => this.queue.add(keyOf(j)),
      update: (_o, j) => this.queue.add(keyOf(j)),
      delete: (j) => { this.expectations.delete(keyOf(j)); this.queue.add(keyOf(j)); },
    });
    pods.addHandler({
      add: (p) => { const k = this.ownerKey(p); if (k) { this.expectations.creationObserved(k); this.queue.add(k); } },
      update: (_o, p) => { const k = this.ownerKey(p); if (k) this.queue.add(k); },
      delete: (p) => { const k = this.ownerKey(p); if (k) { this.expectations.deletionObserved(k, keyOf(p)); this.queue.add(k); } },
    });
  }

  ownerKey(pod: KObject): string | undefined {
    const job = resolveControllerRef(controllerRefOf(pod), 'Job', (n) => this.d.jobs.getByName(pod.metadata.namespace, n));
    return job ? keyOf(job) : undefined;
  }

  async reconcile(key: string): Promise<void> {
    const job = this.d.jobs.get(key);
    if (!job) {
      this.expectations.delete(key);
      return;
    }
    if (job.metadata.deletionTimestamp) return;
    const now = this.clock();
    const spec = specOf(job);
    const finished = finishedCondition(job);
    const pods = this.d.pods.byIndex('owner', job.metadata.uid!).filter((p) => controllerRefOf(p)?.uid === job.metadata.uid);
    const active = pods.filter(isPodActive);
    if (finished) {
      // A finished Job leaves no pods running; then it waits for its TTL.
      if (active.length) await this.deletePods(key, job, active);
      return this.handleTTL(key, job, finished, now);
    }
    const succeededPods = pods.filter((p) => podPhase(p) === 'Succeeded');
    const failedPods = pods.filter((p) => podPhase(p) === 'Failed');
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const parallelism = Math.max(0, spec.parallelism ?? 1);
    const backoffLimit = spec.backoffLimit ?? 6;
    const prior = (job.status ?? {}) as Partial<JobStatus>;
    const startTime = prior.startTime ?? nowRFC3339(now);
    const succeededIndexes = indexed ? [...new Set(succeededPods.map(podIndex).filter((i): i is number => i !== undefined && i < (completions ?? 0)))] : [];
    const succeeded = indexed ? succeededIndexes.length : succeededPods.length;
    const failed = failedPods.length;

    let failure: { reason: string; message: string } | undefined;
    let requeueMs: number | undefined;
    if (failed > backoffLimit) {
      failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    } else if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null && !spec.suspend) {
      const left = Date.parse(startTime) + spec.activeDeadlineSeconds * 1000 - now;
      if (left <= 0) failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      else requeueMs = left + 50;
    }

    const complete = !failure && (completions !== undefined
      ? succeeded >= completions
      : succeeded > 0 && active.length === 0);

    let activeCount = active.length;
    let manageError: unknown;
    if (failure) {
      await this.deletePods(key, job, active);
      activeCount = 0;
    } else if (complete) {
      if (active.length) await this.deletePods(key, job, active);
      activeCount = 0;
    } else if (this.expectations.satisfied(key)) {
      try {
        activeCount = await this.manage(key, job, active, succeeded, succeededIndexes, parallelism, completions, indexed);
      } catch (e) {
        manageError = e;
      }
    }

    const status: JobStatus = {
      active: activeCount, succeeded, failed, ready: failure ? 0 : active.filter(isPodReady).length, startTime,
    };
    if (indexed && succeededIndexes.length) status.completedIndexes = formatIndexes(succeededIndexes);
    const conditions = conditionsOf(job).filter((c) => c.type !== 'Complete' && c.type !== 'Failed');
    const at = nowRFC3339(now);
    if (failure) {
      conditions.push({ type: 'Failed', status: 'True', reason: failure.reason, message: failure.message, lastProbeTime: at, lastTransitionTime: at });
      this.d.recorder.event(job, 'Warning', failure.reason, failure.message);
    } else if (complete && activeCount === 0) {
      conditions.push({ type: 'Complete', status: 'True', lastProbeTime: at, lastTransitionTime: at });
      status.completionTime = at;
      this.d.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    }
    if (conditions.length) status.conditions = conditions;
    if (!deepEqual(pickStatus(job.status), status)) {
      const next = deepCopy(job);
      next.status = { ...(job.status as object), ...status };
      await this.d.client.updateStatus(JOB, next);
    }
    if (requeueMs !== undefined) this.queue.addAfter(key, requeueMs);
    if (manageError) throw manageError;
  }

  /** Creates or deletes pods toward min(parallelism, remaining); returns the active count after. */
  private async manage(key: string, job: KObject, active: KObject[], succeeded: number, succeededIndexes: number[], parallelism: number, completions: number | undefined, indexed: boolean): Promise<number> {
    if (specOf(job).suspend) {
      await this.deletePods(key, job, active);
      return 0;
    }
    let want: number;
    if (completions === undefined) want = succeeded > 0 ? 0 : parallelism;
    else want = Math.min(parallelism, Math.max(0, completions - succeeded));
    if (indexed && completions !== undefined) {
      // One active pod per index; duplicates (or indexes already done) go.
      const done = new Set(succeededIndexes);
      const seen = new Set<number>();
      const extra: KObject[] = [];
      for (const p of active) {
        const i = podIndex(p);
        if (i === undefined || i >= completions || done.has(i) || seen.has(i)) extra.push(p);
        else seen.add(i);
      }
      const keep = active.filter((p) => !extra.includes(p));
      const surplus = keep.length - want;
      const victims = surplus > 0 ? [...extra, ...keep.slice(-surplus)] : extra;
      if (victims.length) await this.deletePods(key, job, victims);
      const running = keep.length - Math.max(0, surplus);
      const missing: number[] = [];
      for (let i = 0; i < completions && missing.length < want - running; i++) if (!done.has(i) && !seen.has(i)) missing.push(i);
      if (missing.length) await this.createPods(key, job, missing);
      return running + missing.length;
    }
    const diff = want - active.length;
    if (diff > 0) {
      await this.createPods(key, job, Array.from({ length: diff }, () => undefined));
    } else if (diff < 0) {
      const victims = [...active].sort((a, b) => (podPhase(a) === 'Pending' ? 0 : 1) - (podPhase(b) === 'Pending' ? 0 : 1)).slice(0, -diff);
      await this.deletePods(key, job, victims);
    }
    return want;
  }

  private async createPods(key: string, job: KObject, indexes: (number | undefined)[]): Promise<void> {
    this.expectations.expectCreations(key, indexes.length);
    const results = await Promise.allSettled(indexes.map((i) => this.createPod(job, i)));
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    if (failed.length) {
      this.expectations.lowerCreations(key, failed.length);
      throw failed[0]!.reason;
    }
  }

  private async createPod(job: KObject, index: number | undefined): Promise<void> {
    const tmpl = specOf(job).template ?? {};
    const podSpec = deepCopy(tmpl.spec ?? {}) as { containers?: { env?: { name: string; value?: string }[] }[]; initContainers?: { env?: { name: string; value?: string }[] }[] };
    const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
    const labels = { ...(tmpl.metadata?.labels ?? {}) };
    if (index !== undefined) {
      annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
      labels[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
      for (const c of [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])]) {
        c.env = [...(c.env ?? []).filter((e) => e.name !== JOB_COMPLETION_INDEX_ENV), { name: JOB_COMPLETION_INDEX_ENV, value: String(index) }];
      }
    }
    const pod: KObject = {
      metadata: {
        generateName: index !== undefined ? `${job.metadata.name}-${index}-` : `${job.metadata.name}-`,
        namespace: job.metadata.namespace,
        labels,
        ownerReferences: [newControllerRef(job, 'batch/v1', 'Job')],
      },
      spec: podSpec as Record<string, unknown>,
    };
    if (Object.keys(annotations).length) pod.metadata.annotations = annotations;
    await createOwnedPod(this.d.client, this.d.recorder, job, pod);
  }

  private async deletePods(key: string, job: KObject, pods: KObject[]): Promise<void> {
    await deleteOwnedPods(this.d.client, this.d.recorder, this.expectations, key, job, pods);
  }

  private async handleTTL(key: string, job: KObject, finished: JobCondition, now: number): Promise<void> {
    const ttl = specOf(job).ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const status = (job.status ?? {}) as Partial<JobStatus>;
    const at = Date.parse(status.completionTime ?? finished.lastTransitionTime ?? '') || now;
    const left = at + ttl * 1000 - now;
    if (left > 0) {
      this.queue.addAfter(key, left + 50);
      return;
    }
    try {
      await this.d.client.delete(JOB, job.metadata.namespace, job.metadata.name!, { preconditions: { uid: job.metadata.uid }, propagationPolicy: 'Background' });
      this.d.log.info('finished job deleted after its TTL', { job: key });
    } catch (e) {
      if (!(isStatusError(e) && e.code === 404)) throw e;
    }
  }
}

function pickStatus(s: unknown): JobStatus {
  const st = (s ?? {}) as Partial<JobStatus>;
  const out: JobStatus = { active: st.active ?? 0, succeeded: st.succeeded ?? 0, failed: st.failed ?? 0, ready: st.ready ?? 0, startTime: st.startTime };
  if (st.completionTime) out.completionTime = st.completionTime;
  if (st.completedIndexes) out.completedIndexes = st.completedIndexes;
  if (st.conditions?.length) out.conditions = st.conditions;
  return out;
}
