import { deepCopy, deepEqual, findByKind, isStatusError, type KObject } from '@skiff/api';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { controllerRefOf, newControllerRef, resolveControllerRef } from '../common/controller-ref';
import { nowRFC3339 } from '../common/pod-state';
import { finishedCondition, JOB } from '../job/job-controller';
import { compileSchedule, localTimeZone, MAX_MISSED_COUNT, mostRecentScheduleTime, zoneOffsetMs, type ZonedSchedule } from './cron-schedule-times';

export const CRONJOB = findByKind('batch/v1', 'CronJob')!;
export const CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Kubernetes requeues a little after the schedule time, so the time has surely passed. */
const NEXT_SCHEDULE_DELTA_MS = 100;

interface CronJobSpec {
  schedule?: string;
  timeZone?: string | null;
  startingDeadlineSeconds?: number | null;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number | null;
  failedJobsHistoryLimit?: number | null;
  jobTemplate?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJobControllerDeps {
  cronJobs: ObjectCache;
  /** Jobs, indexed by `owner` uid. */
  jobs: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  /** Injectable for tests (default Date.now). */
  clock?: () => number;
  /** The zone of schedules without spec.timeZone (Kubernetes: the controller manager's; default: this process'). */
  defaultTimeZone?: string;
}

const specOf = (cj: KObject): CronJobSpec => (cj.spec ?? {}) as CronJobSpec;
const statusOf = (cj: KObject): CronJobStatus => (cj.status ?? {}) as CronJobStatus;
const ms = (t: string | undefined): number | undefined => (t ? Date.parse(t) : undefined);

/** `<cronjob>-<scheduled time in minutes since the epoch>`: the name is the lock against double runs. */
export function cronJobName(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(scheduledMs / 60_000)}`;
}

/** RFC 3339 in the zone (`2024-03-10T09:00:00+01:00`), as Go formats a time in a location; UTC as `Z`. */
export function formatInZone(at: number, tz: string | undefined): string {
  if (!tz || tz === 'UTC' || tz === 'Etc/UTC') return nowRFC3339(at);
  const off = zoneOffsetMs(at, tz);
  const local = new Date(at + off).toISOString().replace(/\.\d{3}Z$/, '');
  if (off === 0) return `${local}Z`;
  const a = Math.abs(off) / 60_000;
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Go's time.RFC1123Z, which Kubernetes' MissSchedule message uses (`Mon, 02 Jan 2006 15:04:05 +0000`). */
export function rfc1123z(at: number): string {
  return new Date(at).toUTCString().replace('GMT', '+0000');
}

function isFinished(job: KObject): { type: string } | undefined {
  return finishedCondition(job);
}

/**
 * batch/v1 CronJobs (Kubernetes' cronjob controller v2): at each schedule time a Job named
 * `<cronjob>-<minutes since epoch>` from the jobTemplate; concurrencyPolicy Allow / Forbid /
 * Replace; startingDeadlineSeconds; suspend; successful/failed history limits; status active,
 * lastScheduleTime, lastSuccessfulTime. Requeues itself for the next schedule time.
 */
export class CronJobController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;
  private readonly defaultZone: string;
  /** One timer per CronJob for its next schedule time; replaced when the time changes (an edited schedule). */
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  constructor(private readonly d: CronJobControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
    this.defaultZone = d.defaultTimeZone ?? localTimeZone();
  }

  register(cronJobs: Informer, jobs: Informer): void {
    cronJobs.addHandler({
      add: (c) => this.queue.add(keyOf(c)),
      update: (_o, c) => this.queue.add(keyOf(c)),
      delete: (c) => this.queue.add(keyOf(c)),
    });
    const owner = (j: KObject) => { const k = this.ownerKey(j); if (k) this.queue.add(k); };
    jobs.addHandler({ add: owner, update: (_o, j) => owner(j), delete: owner });
  }

  ownerKey(job: KObject): string | undefined {
    const cj = resolveControllerRef(controllerRefOf(job), 'CronJob', (n) => this.d.cronJobs.getByName(job.metadata.namespace, n));
    return cj ? keyOf(cj) : undefined;
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.d.cronJobs.get(key);
    if (!cached) {
      this.disarm(key);
      return;
    }
    const cj = deepCopy(cached);
    const status: CronJobStatus = deepCopy(statusOf(cached));
    const jobs = this.d.jobs.byIndex('owner', cj.metadata.uid!).filter((j) => controllerRefOf(j)?.uid === cj.metadata.uid);
    const now = this.clock();

    this.syncActive(cj, status, jobs);
    let requeueMs: number | undefined;
    let err: unknown;
    try {
      requeueMs = await this.schedule(cj, status, now);
    } catch (e) {
      err = e;
    }
    await this.cleanupFinishedJobs(cj, status, jobs);

    if (!deepEqual(normalize(statusOf(cached)), normalize(status))) {
      const next = deepCopy(cached);
      next.status = { ...(cached.status as object), ...status };
      if (!status.active?.length) delete (next.status as CronJobStatus).active;
      await this.d.client.updateStatus(CRONJOB, next);
    }
    if (requeueMs !== undefined) this.arm(key, now + requeueMs);
    else this.disarm(key);
    if (err) throw err;
  }

  /** When this CronJob's next sync is armed for (ms since the epoch). */
  nextSyncAt(key: string): number | undefined {
    return this.timers.get(key)?.at;
  }

  private arm(key: string, at: number): void {
    const cur = this.timers.get(key);
    if (cur?.at === at) return;
    if (cur) clearTimeout(cur.timer);
    const timer = setTimeout(() => {
      if (this.timers.get(key)?.timer === timer) this.timers.delete(key);
      this.queue.add(key);
    }, Math.max(0, at - this.clock()));
    timer.unref?.();
    this.timers.set(key, { at, timer });
  }

  private disarm(key: string): void {
    const cur = this.timers.get(key);
    if (cur) clearTimeout(cur.timer);
    this.timers.delete(key);
  }

  /** status.active follows the owned Jobs: finished ones leave it (SawCompletedJob), unfinished ones join. */
  private syncActive(cj: KObject, status: CronJobStatus, jobs: KObject[]): void {
    const byUid = new Map(jobs.map((j) => [j.metadata.uid!, j]));
    let active = status.active ?? [];
    for (const j of jobs) {
      const finished = isFinished(j);
      const listed = active.some((r) => r.uid === j.metadata.uid);
      if (finished) {
        if (listed) {
          active = active.filter((r) => r.uid !== j.metadata.uid);
          this.d.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${finished.type}`);
        }
        const done = (j.status as { completionTime?: string } | undefined)?.completionTime;
        if (finished.type === 'Complete' && done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
          status.lastSuccessfulTime = done;
        }
      } else if (!listed && !j.metadata.deletionTimestamp) {
        // Ours but not listed: either just created and this cached CronJob predates the status
        // write, or created just before a status write failed. Either way it is active
        // (Kubernetes only warns); the warning is for Jobs of times not recorded as scheduled.
        const scheduled = Date.parse(j.metadata.annotations?.[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] ?? '');
        const last = ms(status.lastScheduleTime);
        if (Number.isNaN(scheduled) || (last !== undefined && scheduled <= last)) {
          this.d.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
        }
        active = [...active, jobRef(j)];
      }
    }
    // Listed Jobs that no longer exist (deleted by hand or by their TTL).
    active = active.filter((r) => {
      if (r.uid && byUid.has(r.uid)) return true;
      this.d.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`);
      return false;
    });
    status.active = active;
  }

  /** Starts the Job of the most recent unmet schedule time if allowed; returns the delay to the next one. */
  private async schedule(cj: KObject, status: CronJobStatus, now: number): Promise<number | undefined> {
    if (cj.metadata.deletionTimestamp) return undefined;
    const spec = specOf(cj);
    if (spec.schedule?.includes('TZ')) {
      this.d.recorder.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule "${spec.schedule}" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
    }
    if (spec.suspend) return undefined;
    let sched: ZonedSchedule;
    try {
      sched = compileSchedule(spec.schedule ?? '', spec.timeZone ?? undefined, this.defaultZone);
    } catch (e) {
      const msg = (e as Error).message;
      if (/time zone/.test(msg) && spec.timeZone) this.d.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${spec.timeZone}": ${msg}`);
      else this.d.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${msg}`);
      return undefined;
    }
    const created = ms(cj.metadata.creationTimestamp) ?? now;
    const lastSchedule = ms(status.lastScheduleTime);
    const earliest = lastSchedule ?? created;
    const { mostRecent, missed: missedAll } = mostRecentScheduleTime(sched, earliest, now);
    // Kubernetes' nextScheduleTimeDuration: from the latest time already due (met or missed).
    const untilNext = (): number | undefined => delayUntil(sched.next(mostRecent ?? earliest), now);
    if (mostRecent === undefined) return untilNext();
    const deadline = spec.startingDeadlineSeconds;
    const hasDeadline = deadline !== undefined && deadline !== null;
    // Missed times only count within the starting deadline.
    const missed = hasDeadline && earliest < now - deadline * 1000 ? mostRecentScheduleTime(sched, now - deadline * 1000, now).missed : missedAll;
    if (missed > MAX_MISSED_COUNT) {
      this.d.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    if (hasDeadline && mostRecent + deadline * 1000 < now) {
      if (lastSchedule !== mostRecent) this.d.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(mostRecent)}`);
      return untilNext();
    }
    const name = cronJobName(cj.metadata.name!, mostRecent);
    if ((status.active ?? []).some((r) => r.name === name) || lastSchedule === mostRecent) return untilNext();
    const policy = spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (status.active ?? []).length > 0) {
      this.d.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return untilNext();
    }
    if (policy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        const job = this.d.jobs.getByName(cj.metadata.namespace, ref.name ?? '');
        if (job) await this.deleteJob(cj, job);
        status.active = (status.active ?? []).filter((r) => r.uid !== ref.uid);
      }
    }
    let job: KObject;
    try {
      job = await this.d.client.create(JOB, cj.metadata.namespace, this.jobFromTemplate(cj, mostRecent, sched.timeZone));
    } catch (e) {
      // Already there: created by an earlier attempt whose status write was lost; the Job event adopts it.
      if (isStatusError(e) && e.code === 409) return untilNext();
      this.d.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      throw e;
    }
    this.d.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
    this.d.log.info('cronjob started a job', { cronjob: keyOf(cj), job: job.metadata.name, scheduled: nowRFC3339(mostRecent) });
    status.active = [...(status.active ?? []), jobRef(job)];
    status.lastScheduleTime = nowRFC3339(mostRecent);
    return delayUntil(sched.next(mostRecent), now);
  }

  private jobFromTemplate(cj: KObject, scheduled: number, tz: string): KObject {
    const tmpl = specOf(cj).jobTemplate ?? {};
    const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
    const zone = specOf(cj).timeZone ?? undefined;
    annotations[CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] = formatInZone(scheduled, zone ? tz : undefined);
    return {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: cronJobName(cj.metadata.name!, scheduled),
        namespace: cj.metadata.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        annotations,
        ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
      },
      spec: deepCopy(tmpl.spec ?? {}),
    };
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
  private async cleanupFinishedJobs(cj: KObject, status: CronJobStatus, jobs: KObject[]): Promise<void> {
    const spec = specOf(cj);
    const limits: [string, number | null | undefined][] = [['Complete', spec.successfulJobsHistoryLimit], ['Failed', spec.failedJobsHistoryLimit]];
    for (const [type, limit] of limits) {
      if (limit === undefined || limit === null) continue;
      const done = jobs.filter((j) => !j.metadata.deletionTimestamp && isFinished(j)?.type === type).sort(byStartTime);
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        await this.deleteJob(cj, j);
        status.active = (status.active ?? []).filter((r) => r.uid !== j.metadata.uid);
      }
    }
  }

  private async deleteJob(cj: KObject, job: KObject): Promise<void> {
    try {
      await this.d.client.delete(JOB, job.metadata.namespace, job.metadata.name!, { preconditions: { uid: job.metadata.uid }, propagationPolicy: 'Background' });
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return;
      this.d.recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
      throw e;
    }
    this.d.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  }
}

/** Beyond a day the informer resync and the next requeue get there (timers cap near 24.8 days). */
const MAX_REQUEUE_MS = 24 * 3_600_000;

function delayUntil(next: number | undefined, now: number): number | undefined {
  return next === undefined ? undefined : Math.min(MAX_REQUEUE_MS, Math.max(0, next - now) + NEXT_SCHEDULE_DELTA_MS);
}

function jobRef(j: KObject): ObjectReference {
  return { kind: 'Job', namespace: j.metadata.namespace, name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1', ...(j.metadata.resourceVersion ? { resourceVersion: j.metadata.resourceVersion } : {}) };
}

/** Kubernetes' byJobStartTime: by status.startTime (unset last), then name. */
function byStartTime(a: KObject, b: KObject): number {
  const sa = (a.status as { startTime?: string } | undefined)?.startTime;
  const sb = (b.status as { startTime?: string } | undefined)?.startTime;
  if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
  if (!sa !== !sb) return sa ? -1 : 1;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

function normalize(s: CronJobStatus): CronJobStatus {
  const out: CronJobStatus = {};
  if (s.active?.length) out.active = s.active.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, uid: r.uid, apiVersion: r.apiVersion }));
  if (s.lastScheduleTime) out.lastScheduleTime = s.lastScheduleTime;
  if (s.lastSuccessfulTime) out.lastSuccessfulTime = s.lastSuccessfulTime;
  return out;
}
