import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import type { PodSpec } from 'kubernetes-types/core/v1';
import { newClaims, newStatefulSetPod, revisionName, StatefulSetController, type StatefulSetStatus } from './stateful-set-controller';
import { testEnv, pod, T0 } from '../testing/fixtures';

function sts(o: { replicas?: number; image?: string; status?: Record<string, unknown>; whenDeleted?: string; strategy?: string } = {}): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: 2 },
    spec: {
      replicas: o.replicas ?? 3, serviceName: 'nginx', podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      updateStrategy: o.strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: o.whenDeleted ?? 'Retain', whenScaled: 'Retain' },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1', volumeMounts: [{ name: 'www', mountPath: '/d' }] }], volumes: [{ name: 'www', emptyDir: {} }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'www', labels: { tier: 'data' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

function setup(set: KObject) {
  const env = testEnv();
  const statefulSets = env.cache();
  const pods = env.cache();
  const revisions = env.cache();
  const claims = env.cache();
  statefulSets.upsert(set);
  const c = new StatefulSetController({ statefulSets, pods, revisions, claims, client: env.client, recorder: env.recorder, log: env.log, clock: () => T0 });
  return { ...env, statefulSets, pods, revisions, claims, c };
}

/** The revision object the controller would create for the set's template, as stored. */
function revisionFor(set: KObject, number = 1): KObject {
  const tmpl = (set.spec as { template: unknown }).template;
  const name = revisionName(set, tmpl as never);
  return {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web', controller: true }] },
    data: { spec: { template: { ...(tmpl as object), $patch: 'replace' } } }, revision: number,
  } as unknown as KObject;
}

function setPod(set: KObject, ord: number, rev: string, o: { ready?: boolean; deleting?: boolean } = {}): KObject {
  const p = newStatefulSetPod(set, (set.spec as { template: never }).template, rev, ord);
  const base = pod(`web-${ord}`, { owner: set, ownerKind: 'StatefulSet', ready: o.ready, deleting: o.deleting, labels: p.metadata.labels });
  return { ...base, spec: p.spec };
}

const summary = (t: ReturnType<typeof setup>) => t.client.summary().filter((s) => !s.startsWith('update-status'));
const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)?.object?.status as unknown as StatefulSetStatus;

describe('StatefulSet pods and claims', () => {
  test('pod identity: name, labels, hostname/subdomain, claim volume replacing the template volume, controller ref', () => {
    const p = newStatefulSetPod(sts(), (sts().spec as { template: never }).template, 'web-abc', 2);
    assert.equal(p.metadata.name, 'web-2');
    assert.deepEqual(p.metadata.labels, { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-2', 'apps.kubernetes.io/pod-index': '2', 'controller-revision-hash': 'web-abc' });
    const spec = p.spec as unknown as PodSpec;
    assert.equal(spec.hostname, 'web-2');
    assert.equal(spec.subdomain, 'nginx');
    assert.deepEqual(spec.volumes, [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-2' } }]);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
  });

  test('claims: <template>-<set>-<ordinal>, selector labels added, no owner unless whenDeleted: Delete', () => {
    const [c] = newClaims(sts(), 1);
    assert.equal(c!.metadata.name, 'www-web-1');
    assert.deepEqual(c!.metadata.labels, { tier: 'data', app: 'web' });
    assert.equal(c!.metadata.ownerReferences, undefined);
    assert.equal(newClaims(sts({ whenDeleted: 'Delete' }), 1)[0]!.metadata.ownerReferences?.[0]?.uid, 'uid-web');
  });
});

describe('StatefulSetController.reconcile', () => {
  test('a new set: a ControllerRevision, then the claim and pod web-0 only; events as Kubernetes words them', async () => {
    const set = sts();
    const t = setup(set);
    await t.c.reconcile('default/web');
    const rev = revisionName(set, (set.spec as { template: never }).template);
    assert.deepEqual(summary(t), [`create controllerrevisions default/${rev}`, 'create persistentvolumeclaims default/www-web-0', 'create pods default/web-0']);
    const cr = t.client.actions[0]!.object as KObject & { revision?: number };
    assert.equal(cr.revision, 1);
    assert.deepEqual(t.recorder.events.map((e) => e.replace(/^Normal /, '')), [
      'SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success',
      'SuccessfulCreate create Pod web-0 in StatefulSet web successful',
    ]);
    const st = lastStatus(t);
    assert.equal(st.currentRevision, rev);
    assert.equal(st.updateRevision, rev);
    assert.equal(st.observedGeneration, 2);
    assert.equal(st.replicas, 0);
  });

  test('an existing claim is reused, not recreated', async () => {
    const set = sts();
    const t = setup(set);
    t.revisions.upsert(revisionFor(set));
    t.claims.upsert({ ...newClaims(set, 0)[0]!, metadata: { ...newClaims(set, 0)[0]!.metadata, uid: 'uid-claim' } });
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t), ['create pods default/web-0']);
  });

  test('waits for web-0 to be Ready before creating web-1', async () => {
    const set = sts();
    const t = setup(set);
    const cr = revisionFor(set);
    t.revisions.upsert(cr);
    t.pods.upsert(setPod(set, 0, cr.metadata.name!, { ready: false }));
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t), []);
    t.pods.upsert(setPod(set, 0, cr.metadata.name!));
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t), ['create persistentvolumeclaims default/www-web-1', 'create pods default/web-1']);
  });

  test('a template change creates revision 2 and deletes the highest-ordinal pod first', async () => {
    const old = sts();
    const cr1 = revisionFor(old);
    const set = sts({ image: 'nginx:2', status: { currentRevision: cr1.metadata.name } });
    const t = setup(set);
    t.revisions.upsert(cr1);
    for (let i = 0; i < 3; i++) t.pods.upsert(setPod(old, i, cr1.metadata.name!));
    await t.c.reconcile('default/web');
    const rev2 = revisionName(set, (set.spec as { template: never }).template);
    assert.deepEqual(summary(t), [`create controllerrevisions default/${rev2}`, 'delete pods default/web-2']);
    assert.equal((t.client.actions[0]!.object as KObject & { revision?: number }).revision, 2);
    assert.equal(t.client.actions[1]!.options?.preconditions?.uid, 'uid-web-2');
    assert.deepEqual(t.recorder.events.map((e) => e.replace(/^Normal /, '')), ['SuccessfulDelete delete Pod web-2 in StatefulSet web successful']);
    const st = lastStatus(t);
    assert.equal(st.currentRevision, cr1.metadata.name);
    assert.equal(st.updateRevision, rev2);
    assert.equal(st.currentReplicas, 3);
    assert.equal(st.updatedReplicas, 0);
  });

  test('all pods updated and ready: the update revision becomes the current one', async () => {
    const old = sts();
    const cr1 = revisionFor(old);
    const set = sts({ image: 'nginx:2', status: { currentRevision: cr1.metadata.name } });
    const cr2 = { ...revisionFor(set, 2) };
    const t = setup(set);
    t.revisions.upsert(cr1);
    t.revisions.upsert(cr2);
    for (let i = 0; i < 3; i++) t.pods.upsert(setPod(set, i, cr2.metadata.name!));
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t), []);
    const st = lastStatus(t);
    assert.deepEqual({ ...st }, {
      replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3,
      currentRevision: cr2.metadata.name, updateRevision: cr2.metadata.name, observedGeneration: 2,
    });
  });

  test('scale down deletes the highest ordinal, leaves the claims alone', async () => {
    const set = sts({ replicas: 1 });
    const t = setup(set);
    const cr = revisionFor(set);
    t.revisions.upsert(cr);
    for (let i = 0; i < 3; i++) t.pods.upsert(setPod(set, i, cr.metadata.name!));
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t), ['delete pods default/web-2']);
  });

  test('adopts an orphan named <set>-<ordinal> with matching labels; releases an owned pod whose labels changed', async () => {
    const set = sts({ replicas: 2 });
    const t = setup(set);
    const cr = revisionFor(set);
    t.revisions.upsert(cr);
    const orphan = setPod(set, 0, cr.metadata.name!);
    delete orphan.metadata.ownerReferences;
    t.pods.upsert(orphan);
    t.pods.upsert({ ...pod('other-0', { labels: { app: 'web' } }) });
    t.pods.upsert({ ...setPod(set, 1, cr.metadata.name!), metadata: { ...setPod(set, 1, cr.metadata.name!).metadata, labels: { app: 'moved' } } });
    await t.c.reconcile('default/web');
    assert.deepEqual(summary(t).slice(0, 2), ['patch pods default/web-0', 'patch pods default/web-1']);
    const adopted = t.client.actions[0]!.patch as { metadata: { ownerReferences: { uid: string; controller: boolean }[] } };
    assert.deepEqual(adopted.metadata.ownerReferences.map((r) => [r.uid, r.controller]), [['uid-web', true]]);
    assert.equal((t.client.actions[1]!.patch as { metadata: { ownerReferences: unknown } }).metadata.ownerReferences, null);
    // web-1 was released, so the set makes a new one.
    assert.deepEqual(summary(t).slice(2), ['create persistentvolumeclaims default/www-web-1', 'create pods default/web-1']);
  });

  test('a set being deleted is left alone', async () => {
    const set = { ...sts(), metadata: { ...sts().metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
    const t = setup(set);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions, []);
  });
});
