import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ReplicaSetController } from './replica-set-controller';
import { testEnv, rs, pod, T0 } from '../testing/fixtures';

function setup() {
  const env = testEnv();
  const replicaSets = env.cache();
  const pods = env.cache();
  const c = new ReplicaSetController({ replicaSets, pods, client: env.client, recorder: env.recorder, log: env.log, clock: () => T0 + 3600_000 });
  return { ...env, replicaSets, pods, c };
}

describe('ReplicaSetController', () => {
  test('creates the missing pods with a controller ownerReference and records SuccessfulCreate', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 3 });
    t.replicaSets.upsert(r);
    t.pods.upsert(pod('web-1-a', { owner: r }));
    await t.c.reconcile('default/web-1');
    const creates = t.client.actions.filter((a) => a.verb === 'create');
    assert.equal(creates.length, 2);
    const created = creates[0]!.object!;
    assert.equal(created.metadata.generateName, 'web-1-');
    assert.deepEqual(created.metadata.labels, { app: 'web' });
    assert.deepEqual(created.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'uid-web-1', controller: true, blockOwnerDeletion: true }]);
    assert.equal(t.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: web-1-')).length, 2);
    const st = t.client.actions.find((a) => a.verb === 'update-status')!.object!.status as Record<string, unknown>;
    assert.deepEqual({ ...st }, { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
  });

  test('does not create again until the creations are observed (expectations)', async () => {
    const t = setup();
    t.replicaSets.upsert(rs('web-1', { replicas: 2 }));
    await t.c.reconcile('default/web-1');
    await t.c.reconcile('default/web-1');
    assert.equal(t.client.actions.filter((a) => a.verb === 'create').length, 2);
    const r = t.replicaSets.get('default/web-1')!;
    t.c.podAdded(pod('x1', { owner: r }));
    t.c.podAdded(pod('x2', { owner: r }));
    assert.ok(t.c.expectations.satisfied('default/web-1'));
  });

  test('deletes surplus pods, not-ready and unscheduled first, and records SuccessfulDelete', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 1 });
    t.replicaSets.upsert(r);
    t.pods.upsert(pod('ready-old', { owner: r, readySince: '2024-01-01T00:00:00Z' }));
    t.pods.upsert(pod('not-ready', { owner: r, ready: false }));
    t.pods.upsert(pod('pending', { owner: r, phase: 'Pending', ready: false, nodeName: '' }));
    t.pods.upsert(pod('terminating', { owner: r, deleting: true }));
    await t.c.reconcile('default/web-1');
    assert.deepEqual(t.client.summary().filter((s) => s.startsWith('delete')).sort(), ['delete pods default/not-ready', 'delete pods default/pending']);
    assert.deepEqual(t.recorder.events.sort(), ['Normal SuccessfulDelete Deleted pod: not-ready', 'Normal SuccessfulDelete Deleted pod: pending']);
  });

  test('adopts a matching orphan and releases an owned pod whose labels changed', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 1 });
    t.replicaSets.upsert(r);
    t.pods.upsert(pod('orphan'));
    t.pods.upsert(pod('relabeled', { owner: r, labels: { app: 'debug' } }));
    t.pods.upsert(pod('other', { labels: { app: 'db' } }));
    await t.c.reconcile('default/web-1');
    const patches = t.client.actions.filter((a) => a.verb === 'patch');
    assert.deepEqual(patches.map((p) => p.name).sort(), ['orphan', 'relabeled']);
    const adopt = patches.find((p) => p.name === 'orphan')!.patch as { metadata: { ownerReferences: { uid: string; controller: boolean }[] } };
    assert.equal(adopt.metadata.ownerReferences[0]!.uid, 'uid-web-1');
    const release = patches.find((p) => p.name === 'relabeled')!.patch as { metadata: { ownerReferences: unknown } };
    assert.equal(release.metadata.ownerReferences, null);
    assert.equal(t.client.actions.filter((a) => a.verb === 'create').length, 0, 'the adopted orphan counts');
  });

  test('availableReplicas honours minReadySeconds', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 2, minReadySeconds: 30 });
    t.replicaSets.upsert(r);
    t.pods.upsert(pod('a', { owner: r, readySince: new Date(T0 + 3600_000 - 60_000).toISOString() }));
    t.pods.upsert(pod('b', { owner: r, readySince: new Date(T0 + 3600_000 - 10_000).toISOString() }));
    await t.c.reconcile('default/web-1');
    const st = t.client.actions.find((a) => a.verb === 'update-status')!.object!.status as Record<string, number>;
    assert.equal(st.readyReplicas, 2);
    assert.equal(st.availableReplicas, 1);
  });

  test('no status write when nothing changed; a missing replica set is a no-op', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 1, status: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 } });
    t.replicaSets.upsert(r);
    t.pods.upsert(pod('a', { owner: r }));
    await t.c.reconcile('default/web-1');
    await t.c.reconcile('default/gone');
    assert.deepEqual(t.client.actions, []);
  });

  test('a failed create records FailedCreate, sets ReplicaFailure and is retried', async () => {
    const t = setup();
    t.replicaSets.upsert(rs('web-1', { replicas: 1 }));
    t.client.failOn = (a) => (a.verb === 'create' ? new Error('quota exceeded') : undefined);
    await assert.rejects(t.c.reconcile('default/web-1'), /quota exceeded/);
    assert.deepEqual(t.recorder.events, ['Warning FailedCreate Error creating: quota exceeded']);
    const st = t.client.actions.find((a) => a.verb === 'update-status')!.object!.status as { conditions: { type: string; reason: string }[] };
    assert.equal(st.conditions[0]!.type, 'ReplicaFailure');
    assert.ok(t.c.expectations.satisfied('default/web-1'));
  });
});
