import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { DeploymentController } from './deployment-controller';
import { computeHash } from './deployment-util';
import { testEnv, rs as makeRS, pod, T0 } from '../testing/fixtures';

const NOW = T0 + 3600_000;

function deployment(o: { replicas?: number; image?: string; strategy?: Record<string, unknown>; paused?: boolean; generation?: number; status?: Record<string, unknown>; revision?: string; revisionHistoryLimit?: number; progressDeadlineSeconds?: number } = {}): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-web', generation: o.generation ?? 1, annotations: o.revision ? { 'deployment.kubernetes.io/revision': o.revision } : undefined },
    spec: {
      replicas: o.replicas ?? 3, selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: o.image ?? 'nginx:1.7.9' }] } },
      strategy: o.strategy ?? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10, progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600, paused: o.paused,
    },
    status: o.status ?? {},
  };
}

const hashOf = (d: KObject) => computeHash((d.spec as { template: Record<string, unknown> }).template);

/** A replica set of this deployment for a given image, as the controller would have made it. */
function ownedRS(d: KObject, image: string, o: { replicas: number; available?: number; revision: number; desired?: number; created?: string }): KObject {
  const hash = computeHash(deployment({ image }).spec!['template' as never]);
  const r = makeRS(`web-${hash}`, {
    replicas: o.replicas, hash, image, owner: d, created: o.created,
    annotations: { 'deployment.kubernetes.io/revision': String(o.revision), 'deployment.kubernetes.io/desired-replicas': String(o.desired ?? 3), 'deployment.kubernetes.io/max-replicas': '4' },
    status: { replicas: o.replicas, readyReplicas: o.available ?? o.replicas, availableReplicas: o.available ?? o.replicas, observedGeneration: 1 },
  });
  return r;
}

function setup() {
  const env = testEnv();
  const deployments = env.cache();
  const replicaSets = env.cache();
  const pods = env.cache();
  const c = new DeploymentController({ deployments, replicaSets, pods, client: env.client, recorder: env.recorder, log: env.log, clock: () => NOW });
  return { ...env, deployments, replicaSets, pods, c };
}

const lastStatus = (t: ReturnType<typeof setup>) => {
  const a = [...t.client.actions].reverse().find((x) => x.verb === 'update-status');
  return a?.object?.status as { conditions?: { type: string; status: string; reason: string; message: string }[]; [k: string]: unknown } | undefined;
};

describe('DeploymentController', () => {
  test('a new deployment creates its replica set with the hash label, revision 1 and a ScalingReplicaSet event', async () => {
    const t = setup();
    const d = deployment();
    t.deployments.upsert(d);
    await t.c.reconcile('default/web');
    const hash = hashOf(d);
    assert.deepEqual(t.client.summary(), [`create replicasets default/web-${hash}`, 'update deployments default/web', 'update-status deployments default/web']);
    const created = t.client.actions[0]!.object!;
    const spec = created.spec as { replicas: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
    assert.equal(spec.replicas, 3);
    assert.deepEqual(spec.selector.matchLabels, { app: 'web', 'pod-template-hash': hash });
    assert.deepEqual(spec.template.metadata.labels, { app: 'web', 'pod-template-hash': hash });
    assert.equal(created.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.equal(created.metadata.ownerReferences![0]!.uid, 'uid-web');
    assert.equal(t.client.actions[1]!.object!.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(t.recorder.events, [`Normal ScalingReplicaSet Scaled up replica set web-${hash} from 0 to 3`]);
    const st = lastStatus(t)!;
    assert.equal(st.observedGeneration, 1);
    assert.deepEqual(st.conditions!.map((c) => `${c.type}=${c.status}/${c.reason}`).sort(), ['Available=False/MinimumReplicasUnavailable', 'Progressing=True/NewReplicaSetCreated']);
  });

  test('a template change starts a rolling update within maxSurge', async () => {
    const t = setup();
    const d = deployment({ image: 'nginx:1.9.1', generation: 2, revision: '1' });
    t.deployments.upsert(d);
    const old = ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1 });
    t.replicaSets.upsert(old);
    await t.c.reconcile('default/web');
    const create = t.client.actions.find((a) => a.verb === 'create')!;
    assert.equal((create.object!.spec as { replicas: number }).replicas, 1, '3 + surge 1 = 4 pods at most');
    assert.equal(create.object!.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
    assert.ok(!t.client.actions.some((a) => a.verb === 'update' && a.resource === 'replicasets'), 'old set untouched: maxUnavailable 0 of 3');
  });

  test('once a new pod is available an old one goes (ScalingReplicaSet down)', async () => {
    const t = setup();
    const d = deployment({ image: 'nginx:1.9.1', generation: 2, revision: '2' });
    t.deployments.upsert(d);
    const old = ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1, created: '2024-01-01T00:00:00Z' });
    const neu = ownedRS(d, 'nginx:1.9.1', { replicas: 1, available: 1, revision: 2, created: '2024-01-01T00:10:00Z' });
    t.replicaSets.upsert(old);
    t.replicaSets.upsert(neu);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.recorder.events, [`Normal ScalingReplicaSet Scaled down replica set ${old.metadata.name} from 3 to 2`]);
    const st = lastStatus(t)!;
    assert.equal(st.updatedReplicas, 1);
    assert.equal(st.replicas, 4);
    assert.equal(st.conditions!.find((c) => c.type === 'Progressing')!.reason, 'ReplicaSetUpdated');
  });

  test('a finished rollout reports NewReplicaSetAvailable and Available', async () => {
    const t = setup();
    const d = deployment({ revision: '1', status: { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 } });
    t.deployments.upsert(d);
    t.replicaSets.upsert(ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1 }));
    await t.c.reconcile('default/web');
    const st = lastStatus(t)!;
    const p = st.conditions!.find((c) => c.type === 'Progressing')!;
    assert.equal(p.reason, 'NewReplicaSetAvailable');
    assert.equal(p.message, `ReplicaSet "web-${hashOf(d)}" has successfully progressed.`);
    assert.equal(st.conditions!.find((c) => c.type === 'Available')!.status, 'True');
  });

  test('kubectl scale: a resize scales the only active set directly', async () => {
    const t = setup();
    const d = deployment({ replicas: 6, revision: '1' });
    t.deployments.upsert(d);
    const r = ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1, desired: 3 });
    t.replicaSets.upsert(r);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.recorder.events, [`Normal ScalingReplicaSet Scaled up replica set ${r.metadata.name} from 3 to 6`]);
    const upd = t.client.actions.find((a) => a.verb === 'update' && a.resource === 'replicasets')!.object!;
    assert.equal(upd.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '6');
    assert.equal(upd.metadata.annotations!['deployment.kubernetes.io/max-replicas'], '8');
  });

  test('paused: no new replica set for a new template; Progressing Unknown DeploymentPaused', async () => {
    const t = setup();
    const d = deployment({ image: 'nginx:1.9.1', paused: true, revision: '1' });
    t.deployments.upsert(d);
    t.replicaSets.upsert(ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1 }));
    await t.c.reconcile('default/web');
    assert.ok(!t.client.actions.some((a) => a.verb === 'create'));
    const p = lastStatus(t)!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.deepEqual([p.status, p.reason, p.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  });

  test('rollback: the old template becomes the newest revision', async () => {
    const t = setup();
    const d = deployment({ image: 'nginx:1.7.9', generation: 3, revision: '2' });
    // kubectl rollout undo copies the replica set's template, `creationTimestamp: null` included.
    (d.spec as { template: { metadata: Record<string, unknown> } }).template.metadata.creationTimestamp = null;
    t.deployments.upsert(d);
    const r1 = ownedRS(d, 'nginx:1.7.9', { replicas: 0, revision: 1 });
    t.replicaSets.upsert(r1);
    t.replicaSets.upsert(ownedRS(d, 'nginx:1.9.1', { replicas: 3, revision: 2 }));
    await t.c.reconcile('default/web');
    assert.ok(!t.client.actions.some((a) => a.verb === 'create'), 'no new replica set');
    const upd = t.client.actions.find((a) => a.verb === 'update' && a.name === r1.metadata.name)!.object!;
    assert.equal(upd.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(upd.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
    const depUpd = t.client.actions.find((a) => a.verb === 'update' && a.resource === 'deployments')!.object!;
    assert.equal(depUpd.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  });

  test('Recreate: old sets go to zero first; the new set waits until old pods are gone', async () => {
    const t = setup();
    const d = deployment({ image: 'nginx:1.9.1', strategy: { type: 'Recreate' }, revision: '1', generation: 2 });
    t.deployments.upsert(d);
    const old = ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 1 });
    t.replicaSets.upsert(old);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.recorder.events, [`Normal ScalingReplicaSet Scaled down replica set ${old.metadata.name} from 3 to 0`]);
    assert.ok(!t.client.actions.some((a) => a.verb === 'create'));

    const t2 = setup();
    t2.deployments.upsert(d);
    const drained = ownedRS(d, 'nginx:1.7.9', { replicas: 0, available: 0, revision: 1 });
    t2.replicaSets.upsert(drained);
    t2.pods.upsert(pod('old-pod', { owner: drained, deleting: true }));
    await t2.c.reconcile('default/web');
    assert.ok(!t2.client.actions.some((a) => a.verb === 'create'), 'a terminating old pod still runs');
    t2.pods.remove('default/old-pod');
    await t2.c.reconcile('default/web');
    const create = t2.client.actions.find((a) => a.verb === 'create')!;
    assert.equal((create.object!.spec as { replicas: number }).replicas, 3);
  });

  test('revisionHistoryLimit deletes the oldest empty replica sets', async () => {
    const t = setup();
    const d = deployment({ revision: '4', revisionHistoryLimit: 1, status: { observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3, readyReplicas: 3 } });
    t.deployments.upsert(d);
    t.replicaSets.upsert(ownedRS(d, 'nginx:1.7.9', { replicas: 3, revision: 4 }));
    for (const [img, rev] of [['a:1', 1], ['a:2', 2], ['a:3', 3]] as const) t.replicaSets.upsert(ownedRS(d, img, { replicas: 0, revision: rev }));
    await t.c.reconcile('default/web');
    const deleted = t.client.actions.filter((a) => a.verb === 'delete').map((a) => a.name);
    assert.deepEqual(deleted, [ownedRS(d, 'a:1', { replicas: 0, revision: 1 }).metadata.name, ownedRS(d, 'a:2', { replicas: 0, revision: 2 }).metadata.name]);
  });

  test('no progress past progressDeadlineSeconds: ProgressDeadlineExceeded', async () => {
    const t = setup();
    const old = new Date(NOW - 700_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const d = deployment({ revision: '1', progressDeadlineSeconds: 600, status: {
      observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 1, readyReplicas: 1,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'x', lastUpdateTime: old, lastTransitionTime: old }],
    } });
    t.deployments.upsert(d);
    t.replicaSets.upsert(ownedRS(d, 'nginx:1.7.9', { replicas: 3, available: 1, revision: 1 }));
    await t.c.reconcile('default/web');
    const p = lastStatus(t)!.conditions!.find((c) => c.type === 'Progressing')!;
    assert.deepEqual([p.status, p.reason], ['False', 'ProgressDeadlineExceeded']);
    assert.equal(p.message, `ReplicaSet "web-${hashOf(d)}" has timed out progressing.`);
  });

  test('adopts an orphan replica set that matches the selector', async () => {
    const t = setup();
    const d = deployment({ revision: '1' });
    t.deployments.upsert(d);
    t.replicaSets.upsert(makeRS('stray', { replicas: 1 }));
    await t.c.reconcile('default/web');
    const patch = t.client.actions.find((a) => a.verb === 'patch' && a.name === 'stray')!;
    assert.equal((patch.patch as { metadata: { ownerReferences: { uid: string }[] } }).metadata.ownerReferences[0]!.uid, 'uid-web');
  });
});
