import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { countStatus, ordinalOf, planStatefulSet, type PlanInput, type SetPod } from './plan-stateful-set';

const p = (ord: number, o: Partial<SetPod> = {}): SetPod => ({
  name: `web-${ord}`, uid: `u${ord}`, ordinal: ord, revision: 'web-r1', phase: 'Running', ready: true, terminating: false, ...o,
});

const input = (o: Partial<PlanInput> = {}): PlanInput => ({
  setName: 'web', replicas: 3, policy: 'OrderedReady', strategy: 'RollingUpdate', partition: 0,
  currentRevision: 'web-r1', updateRevision: 'web-r1', pods: [], ...o,
});

const summary = (i: PlanInput): string[] => planStatefulSet(i).steps.map((s) => (s.action === 'create' ? `create ${s.name}@${s.revision}` : `delete ${s.name} (${s.reason})`));

describe('planStatefulSet: OrderedReady', () => {
  test('names parse to ordinals', () => {
    assert.equal(ordinalOf('web', 'web-0'), 0);
    assert.equal(ordinalOf('web', 'web-12'), 12);
    assert.equal(ordinalOf('web', 'web-01'), -1);
    assert.equal(ordinalOf('web', 'webx-1'), -1);
    assert.equal(ordinalOf('web', 'web-a'), -1);
  });

  test('creates one pod at a time, in ordinal order, each after the previous is Running and Ready', () => {
    assert.deepEqual(summary(input()), ['create web-0@web-r1']);
    assert.deepEqual(summary(input({ pods: [p(0, { phase: 'Pending', ready: false })] })), []);
    assert.equal(planStatefulSet(input({ pods: [p(0, { phase: 'Pending', ready: false })] })).waitingFor, 'web-0 to be Running and Ready');
    assert.deepEqual(summary(input({ pods: [p(0, { ready: false })] })), []);
    assert.deepEqual(summary(input({ pods: [p(0)] })), ['create web-1@web-r1']);
    assert.deepEqual(summary(input({ pods: [p(0), p(1)] })), ['create web-2@web-r1']);
    assert.deepEqual(summary(input({ pods: [p(0), p(1), p(2)] })), []);
    assert.equal(planStatefulSet(input({ pods: [p(0), p(1), p(2)] })).waitingFor, undefined);
  });

  test('a deleted pod in the middle is recreated with the same name once it is gone; later ones wait', () => {
    assert.deepEqual(summary(input({ pods: [p(0), p(1, { terminating: true }), p(2)] })), []);
    assert.deepEqual(summary(input({ pods: [p(0), p(2)] })), ['create web-1@web-r1']);
  });

  test('failed pods are deleted (to be recreated)', () => {
    assert.deepEqual(summary(input({ pods: [p(0), p(1, { phase: 'Failed', ready: false }), p(2)] })), ['delete web-1 (failed)']);
  });

  test('scale down: highest ordinal first, one at a time, waiting for it to terminate', () => {
    const pods = [p(0), p(1), p(2)];
    assert.deepEqual(summary(input({ replicas: 1, pods })), ['delete web-2 (condemned)']);
    assert.deepEqual(summary(input({ replicas: 1, pods: [p(0), p(1), p(2, { terminating: true })] })), []);
    assert.deepEqual(summary(input({ replicas: 1, pods: [p(0), p(1)] })), ['delete web-1 (condemned)']);
    assert.deepEqual(summary(input({ replicas: 1, pods: [p(0)] })), []);
  });

  test('scale down waits while a remaining pod is unhealthy', () => {
    assert.deepEqual(summary(input({ replicas: 1, pods: [p(0, { ready: false }), p(1), p(2)] })), []);
  });

  test('scale to zero deletes from the top', () => {
    assert.deepEqual(summary(input({ replicas: 0, pods: [p(0), p(1)] })), ['delete web-1 (condemned)']);
  });

  test('ordinals.start shifts the range', () => {
    assert.deepEqual(summary(input({ start: 5, replicas: 2, pods: [p(5)] })), ['create web-6@web-r1']);
    assert.deepEqual(summary(input({ start: 5, replicas: 2, pods: [p(0), p(5), p(6)] })), ['delete web-0 (condemned)']);
  });
});

describe('planStatefulSet: Parallel', () => {
  test('creates every missing pod at once, without waiting for readiness', () => {
    assert.deepEqual(summary(input({ policy: 'Parallel' })), ['create web-0@web-r1', 'create web-1@web-r1', 'create web-2@web-r1']);
    assert.deepEqual(summary(input({ policy: 'Parallel', pods: [p(0, { phase: 'Pending', ready: false })] })), ['create web-1@web-r1', 'create web-2@web-r1']);
  });

  test('deletes every condemned pod at once', () => {
    assert.deepEqual(summary(input({ policy: 'Parallel', replicas: 1, pods: [p(0), p(1), p(2)] })), ['delete web-2 (condemned)', 'delete web-1 (condemned)']);
  });
});

describe('planStatefulSet: updates', () => {
  const old = (ord: number, o: Partial<SetPod> = {}) => p(ord, { revision: 'web-r1', ...o });
  const upd = (ord: number, o: Partial<SetPod> = {}) => p(ord, { revision: 'web-r2', ...o });
  const rolling = (pods: SetPod[], o: Partial<PlanInput> = {}) => input({ currentRevision: 'web-r1', updateRevision: 'web-r2', pods, ...o });

  test('RollingUpdate goes in reverse ordinal order, one pod at a time, waiting for each to be Ready', () => {
    assert.deepEqual(summary(rolling([old(0), old(1), old(2)])), ['delete web-2 (update)']);
    assert.deepEqual(summary(rolling([old(0), old(1), old(2, { terminating: true })])), []);
    assert.deepEqual(summary(rolling([old(0), old(1)])), ['create web-2@web-r2']);
    assert.deepEqual(summary(rolling([old(0), old(1), upd(2, { phase: 'Pending', ready: false })])), []);
    assert.deepEqual(summary(rolling([old(0), old(1), upd(2)])), ['delete web-1 (update)']);
    assert.deepEqual(summary(rolling([old(0), upd(1), upd(2)])), ['delete web-0 (update)']);
    assert.deepEqual(summary(rolling([upd(0), upd(1), upd(2)])), []);
  });

  test('partition: ordinals below it keep (and are recreated at) the current revision', () => {
    const o = { partition: 2 };
    assert.deepEqual(summary(rolling([old(0), old(1), old(2)], o)), ['delete web-2 (update)']);
    assert.deepEqual(summary(rolling([old(0), old(1), upd(2)], o)), []);
    assert.deepEqual(summary(rolling([old(0), upd(2)], o)), ['create web-1@web-r1']);
    assert.deepEqual(summary(rolling([old(0), old(1)], o)), ['create web-2@web-r2']);
  });

  test('OnDelete replaces nothing; deleted pods come back at the update revision', () => {
    assert.deepEqual(summary(rolling([old(0), old(1), old(2)], { strategy: 'OnDelete' })), []);
    assert.deepEqual(summary(rolling([old(0), old(2)], { strategy: 'OnDelete' })), ['create web-1@web-r2']);
  });
});

describe('countStatus', () => {
  test('counts existing, ready, current and updated pods; terminating ones only in replicas', () => {
    const pods = [p(0, { revision: 'a' }), p(1, { revision: 'b', ready: false }), p(2, { revision: 'b', terminating: true })];
    assert.deepEqual(countStatus(pods, 'a', 'b'), { replicas: 3, readyReplicas: 1, availableReplicas: 1, currentReplicas: 1, updatedReplicas: 1 });
  });
});
