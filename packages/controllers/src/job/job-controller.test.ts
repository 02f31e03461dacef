import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { JobController, formatIndexes, JOB_COMPLETION_INDEX_ANNOTATION, type JobStatus } from './job-controller';
import { testEnv, pod, T0 } from '../testing/fixtures';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function job(name: string, spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KObject {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', ...spec,
      template: { metadata: { labels: { 'job-name': name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
    ...(status ? { status } : {}),
  };
}

function jobPod(name: string, j: KObject, phase: string, index?: number): KObject {
  const p = pod(name, { owner: j, ownerKind: 'Job', phase, labels: { 'job-name': j.metadata.name! } });
  if (index !== undefined) p.metadata.annotations = { [JOB_COMPLETION_INDEX_ANNOTATION]: String(index) };
  return p;
}

function setup(now = T0) {
  const env = testEnv();
  const jobs = env.cache();
  const pods = env.cache();
  const c = new JobController({ jobs, pods, client: env.client, recorder: env.recorder, log: env.log, clock: () => now });
  return { ...env, jobs, pods, c };
}

const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)!.object!.status as JobStatus;

describe('JobController', () => {
  test('creates up to parallelism pods with a controller ownerReference and SuccessfulCreate events; sets startTime', async () => {
    const t = setup();
    const j = job('pi', { completions: 5, parallelism: 2 });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('pi-done', j, 'Succeeded'));
    await t.c.reconcile('default/pi');
    const creates = t.client.actions.filter((a) => a.verb === 'create');
    assert.equal(creates.length, 2);
    assert.deepEqual(creates[0]!.object!.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'uid-pi', controller: true, blockOwnerDeletion: true }]);
    assert.equal(creates[0]!.object!.metadata.generateName, 'pi-');
    assert.equal(t.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: pi-')).length, 2);
    const st = lastStatus(t);
    assert.deepEqual([st.active, st.succeeded, st.failed, st.startTime], [2, 1, 0, iso(T0)]);
  });

  test('never creates more than the remaining completions', async () => {
    const t = setup();
    const j = job('pi', { completions: 3, parallelism: 5 });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('a', j, 'Succeeded'));
    t.pods.upsert(jobPod('b', j, 'Running'));
    await t.c.reconcile('default/pi');
    assert.equal(t.client.actions.filter((a) => a.verb === 'create').length, 1);
  });

  test('completes when completions pods succeeded: Complete condition and completionTime', async () => {
    const t = setup();
    const j = job('pi', { completions: 2, parallelism: 2 }, { startTime: iso(T0 - 10_000), active: 1, succeeded: 1, failed: 0 });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('a', j, 'Succeeded'));
    t.pods.upsert(jobPod('b', j, 'Succeeded'));
    await t.c.reconcile('default/pi');
    assert.equal(t.client.actions.filter((a) => a.verb === 'create').length, 0);
    const st = lastStatus(t);
    assert.deepEqual([st.active, st.succeeded, st.completionTime, st.startTime], [0, 2, iso(T0), iso(T0 - 10_000)]);
    assert.deepEqual(st.conditions!.map((c) => [c.type, c.status]), [['Complete', 'True']]);
    assert.ok(t.recorder.events.includes('Normal Completed Job completed'));
  });

  test('fails with BackoffLimitExceeded after more than backoffLimit failed pods and deletes active ones', async () => {
    const t = setup();
    const j = job('pi', { completions: 3, parallelism: 1, backoffLimit: 1 }, { startTime: iso(T0 - 10_000) });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('f1', j, 'Failed'));
    t.pods.upsert(jobPod('f2', j, 'Failed'));
    t.pods.upsert(jobPod('r', j, 'Running'));
    await t.c.reconcile('default/pi');
    assert.deepEqual(t.client.summary().filter((s) => !s.startsWith('update-status')), ['delete pods default/r']);
    const st = lastStatus(t);
    assert.equal(st.failed, 2);
    assert.equal(st.active, 0);
    assert.deepEqual(st.conditions!.map((c) => [c.type, c.status, c.reason]), [['Failed', 'True', 'BackoffLimitExceeded']]);
  });

  test('fails with DeadlineExceeded past activeDeadlineSeconds', async () => {
    const t = setup();
    const j = job('pi', { activeDeadlineSeconds: 5 }, { startTime: iso(T0 - 6000) });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('r', j, 'Running'));
    await t.c.reconcile('default/pi');
    assert.deepEqual(lastStatus(t).conditions!.map((c) => c.reason), ['DeadlineExceeded']);
    assert.ok(t.client.summary().includes('delete pods default/r'));
  });

  test('Indexed: creates the missing indexes with the annotation and JOB_COMPLETION_INDEX; completedIndexes', async () => {
    const t = setup();
    const j = job('idx', { completions: 4, parallelism: 2, completionMode: 'Indexed' });
    t.jobs.upsert(j);
    t.pods.upsert(jobPod('i0', j, 'Succeeded', 0));
    t.pods.upsert(jobPod('i1', j, 'Running', 1));
    await t.c.reconcile('default/idx');
    const creates = t.client.actions.filter((a) => a.verb === 'create');
    assert.equal(creates.length, 1);
    const p = creates[0]!.object!;
    assert.equal(p.metadata.annotations![JOB_COMPLETION_INDEX_ANNOTATION], '2');
    assert.equal(p.metadata.generateName, 'idx-2-');
    const env = (p.spec as { containers: { env: { name: string; value: string }[] }[] }).containers[0]!.env;
    assert.deepEqual(env, [{ name: 'JOB_COMPLETION_INDEX', value: '2' }]);
    assert.equal(lastStatus(t).completedIndexes, '0');
    assert.equal(formatIndexes([5, 0, 1, 2, 4]), '0-2,4-5');
  });

  test('ttlSecondsAfterFinished deletes the finished Job once it has passed', async () => {
    const done = { startTime: iso(T0 - 20_000), completionTime: iso(T0 - 10_000), conditions: [{ type: 'Complete', status: 'True' }] };
    const t = setup();
    t.jobs.upsert(job('pi', { ttlSecondsAfterFinished: 5 }, done));
    await t.c.reconcile('default/pi');
    assert.deepEqual(t.client.summary(), ['delete jobs default/pi']);
    const t2 = setup();
    t2.jobs.upsert(job('pi', { ttlSecondsAfterFinished: 60 }, done));
    await t2.c.reconcile('default/pi');
    assert.deepEqual(t2.client.summary(), []);
  });
});
