import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { WorkQueue } from '../informer/work-queue';
import { testEnv, T0 } from '../testing/fixtures';
import { CronJobController, CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, cronJobName, rfc1123z, type CronJobStatus } from './cronjob-controller';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const MIN = 60_000;


function cronJob(spec: Record<string, unknown> = {}, status?: CronJobStatus, created = T0 - 90_000): KObject {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'default', uid: 'uid-cj', creationTimestamp: iso(created) },
    spec: {
      schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, ...spec,
      jobTemplate: {
        metadata: { labels: { app: 'tick' }, annotations: { note: 'x' } },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    },
    ...(status ? { status } : {}),
  };
}

function job(name: string, state: 'Running' | 'Complete' | 'Failed', startTime: number, completionTime?: number): KObject {
  const status: Record<string, unknown> = { startTime: iso(startTime) };
  if (state !== 'Running') {
    status.conditions = [{ type: state, status: 'True' }];
    if (state === 'Complete') status.completionTime = iso(completionTime ?? startTime + 5000);
  }
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'uid-cj', controller: true }] },
    spec: {}, status,
  };
}

const ref = (name: string) => ({ kind: 'Job', namespace: 'default', name, uid: `uid-${name}`, apiVersion: 'batch/v1' });

function setup(now = T0 + 5000) {
  const env = testEnv();
  const cronJobs = env.cache();
  const jobs = env.cache();
  const queue = new WorkQueue();
  const c = new CronJobController({ cronJobs, jobs, client: env.client, recorder: env.recorder, log: env.log, clock: () => now, queue, defaultTimeZone: 'UTC' });
  /** The armed requeue, as a delay from now (undefined when none). */
  const delays = () => { const at = c.nextSyncAt('default/cj'); return at === undefined ? [] : [at - now]; };
  return { ...env, cronJobs, jobs, c, queue, delays };
}

const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)?.object?.status as CronJobStatus | undefined;

describe('CronJobController', () => {
  test('creates the Job of the schedule time: name, annotation, labels, ownerReference; status; requeue at the next time', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob());
    await t.c.reconcile('default/cj');
    const name = cronJobName('cj', T0);
    assert.equal(name, `cj-${T0 / MIN}`);
    assert.deepEqual(t.client.summary(), [`create jobs default/${name}`, 'update-status cronjobs default/cj']);
    const j = t.client.actions[0]!.object!;
    assert.deepEqual(j.metadata.labels, { app: 'tick' });
    assert.deepEqual(j.metadata.annotations, { note: 'x', [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: '2024-01-01T00:00:00Z' });
    assert.deepEqual(j.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'uid-cj', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(j.spec, { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } });
    const st = lastStatus(t)!;
    assert.equal(st.lastScheduleTime, iso(T0));
    assert.deepEqual(st.active!.map((r) => r.name), [name]);
    assert.deepEqual(t.recorder.events, [`Normal SuccessfulCreate Created job ${name}`]);
    assert.deepEqual(t.delays(), [55_100]);
  });

  test('an already processed time starts nothing and requeues for the next one', async () => {
    const t = setup(T0 + 20_000);
    t.cronJobs.upsert(cronJob({}, { lastScheduleTime: iso(T0) }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.deepEqual(t.delays(), [40_100]);
  });

  test('before the first schedule time: nothing, requeue for it', async () => {
    const t = setup(T0 + 5000);
    t.cronJobs.upsert(cronJob({ schedule: '0 * * * *' }, undefined, T0 + 1000));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.deepEqual(t.delays(), [60 * MIN - 5000 + 100]);
  });

  test('an edited schedule re-arms the requeue for its own next time', async () => {
    const t = setup(T0 + 5000);
    t.cronJobs.upsert(cronJob({ schedule: '0 * * * *' }, { lastScheduleTime: iso(T0) }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.delays(), [60 * MIN - 5000 + 100]);
    t.cronJobs.upsert(cronJob({ schedule: '*/5 * * * *' }, { lastScheduleTime: iso(T0) }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.delays(), [5 * MIN - 5000 + 100]);
    t.cronJobs.remove('default/cj');
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.delays(), [], 'a deleted CronJob has no timer');
  });

  test('Forbid: no new Job while one runs (JobAlreadyActive)', async () => {
    const t = setup();
    const running = job('cj-old', 'Running', T0 - MIN);
    t.cronJobs.upsert(cronJob({ concurrencyPolicy: 'Forbid' }, { lastScheduleTime: iso(T0 - MIN), active: [ref('cj-old')] }));
    t.jobs.upsert(running);
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.deepEqual(t.recorder.events, ['Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid']);
    assert.deepEqual(t.delays(), [55_100]);
  });

  test('Allow: a new Job next to the running one', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob({}, { lastScheduleTime: iso(T0 - MIN), active: [ref('cj-old')] }));
    t.jobs.upsert(job('cj-old', 'Running', T0 - MIN));
    await t.c.reconcile('default/cj');
    assert.deepEqual(lastStatus(t)!.active!.map((r) => r.name), ['cj-old', cronJobName('cj', T0)]);
  });

  test('Replace: deletes the running Job, then creates the new one', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob({ concurrencyPolicy: 'Replace' }, { lastScheduleTime: iso(T0 - MIN), active: [ref('cj-old')] }));
    t.jobs.upsert(job('cj-old', 'Running', T0 - MIN));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), ['delete jobs default/cj-old', `create jobs default/${cronJobName('cj', T0)}`, 'update-status cronjobs default/cj']);
    assert.equal(t.client.actions[0]!.options!.propagationPolicy, 'Background');
    assert.deepEqual(lastStatus(t)!.active!.map((r) => r.name), [cronJobName('cj', T0)]);
    assert.ok(t.recorder.events.includes('Normal SuccessfulDelete Deleted job cj-old'));
  });

  test('startingDeadlineSeconds: a start too late is skipped with MissSchedule', async () => {
    const t = setup(T0 + 30_000);
    t.cronJobs.upsert(cronJob({ startingDeadlineSeconds: 10 }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.deepEqual(t.recorder.events, [`Warning MissSchedule Missed scheduled time to start a job: ${rfc1123z(T0)}`]);
    assert.equal(rfc1123z(T0), 'Mon, 01 Jan 2024 00:00:00 +0000');
    assert.deepEqual(t.delays(), [30_100]);
  });

  test('startingDeadlineSeconds: within the deadline it still starts', async () => {
    const t = setup(T0 + 30_000);
    t.cronJobs.upsert(cronJob({ startingDeadlineSeconds: 45 }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), [`create jobs default/${cronJobName('cj', T0)}`, 'update-status cronjobs default/cj']);
  });

  test('more than 100 missed start times: TooManyMissedTimes and only the latest runs', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob({}, undefined, T0 - 200 * MIN));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), [`create jobs default/${cronJobName('cj', T0)}`, 'update-status cronjobs default/cj']);
    assert.equal(t.recorder.events[0], 'Warning TooManyMissedTimes too many missed start times: 200. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  });

  test('suspend: nothing starts', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob({ suspend: true }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.deepEqual(t.delays(), []);
  });

  test('finished Jobs leave status.active (SawCompletedJob); lastSuccessfulTime', async () => {
    const t = setup(T0 + 20_000);
    t.cronJobs.upsert(cronJob({}, { lastScheduleTime: iso(T0), active: [ref('cj-a'), ref('cj-b')] }));
    t.jobs.upsert(job('cj-a', 'Complete', T0, T0 + 9000));
    t.jobs.upsert(job('cj-b', 'Running', T0));
    await t.c.reconcile('default/cj');
    const st = lastStatus(t)!;
    assert.deepEqual(st.active!.map((r) => r.name), ['cj-b']);
    assert.equal(st.lastSuccessfulTime, iso(T0 + 9000));
    assert.deepEqual(t.recorder.events, ['Normal SawCompletedJob Saw completed job: cj-a, condition: Complete']);
  });

  test('a Job just created (cache behind the status write) joins status.active without a warning, and is not created twice', async () => {
    const t = setup(T0 + 2000);
    t.cronJobs.upsert(cronJob({}, { lastScheduleTime: iso(T0 - MIN) }));
    const j = job(cronJobName('cj', T0), 'Running', T0 + 1000);
    j.metadata.annotations = { [CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION]: iso(T0) };
    t.jobs.upsert(j);
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.recorder.events, []);
    assert.deepEqual(t.client.summary(), ['update-status cronjobs default/cj']);
    assert.deepEqual(lastStatus(t)!.active!.map((r) => r.name), [cronJobName('cj', T0)]);
  });

  test('a listed Job that is gone leaves status.active', async () => {
    const t = setup(T0 + 20_000);
    t.cronJobs.upsert(cronJob({}, { lastScheduleTime: iso(T0), active: [ref('cj-gone')] }));
    await t.c.reconcile('default/cj');
    assert.equal(lastStatus(t)!.active, undefined);
  });

  test('history limits delete the oldest finished Jobs beyond them', async () => {
    const t = setup(T0 + 20_000);
    t.cronJobs.upsert(cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }, { lastScheduleTime: iso(T0) }));
    for (let i = 1; i <= 4; i++) t.jobs.upsert(job(`cj-ok${i}`, 'Complete', T0 - (10 - i) * MIN));
    t.jobs.upsert(job('cj-bad1', 'Failed', T0 - 9 * MIN));
    t.jobs.upsert(job('cj-bad2', 'Failed', T0 - 8 * MIN));
    t.jobs.upsert(job('cj-run', 'Running', T0));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary().filter((s) => s.startsWith('delete')), ['delete jobs default/cj-ok1', 'delete jobs default/cj-ok2', 'delete jobs default/cj-bad1']);
    assert.ok(t.recorder.events.includes('Normal SuccessfulDelete Deleted job cj-ok1'));
    assert.ok(t.recorder.events.includes('Warning UnexpectedJob Saw a job that the controller did not create or forgot: cj-run'));
  });

  test('spec.timeZone: scheduled in the zone, annotated with its offset', async () => {
    const now = Date.parse('2024-07-01T07:00:05Z');
    const t = setup(now);
    t.cronJobs.upsert(cronJob({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }, undefined, now - 86_400_000 + 3600_000));
    await t.c.reconcile('default/cj');
    const j = t.client.actions[0]!.object!;
    assert.equal(j.metadata.name, cronJobName('cj', Date.parse('2024-07-01T07:00:00Z')));
    assert.equal(j.metadata.annotations![CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION], '2024-07-01T09:00:00+02:00');
  });

  test('an unparseable schedule: event, no Job', async () => {
    const t = setup();
    t.cronJobs.upsert(cronJob({ schedule: '* * *' }));
    await t.c.reconcile('default/cj');
    assert.deepEqual(t.client.summary(), []);
    assert.match(t.recorder.events[0]!, /^Warning UnparseableSchedule unparseable schedule: "\* \* \*" : expected exactly 5 fields/);
  });
});
