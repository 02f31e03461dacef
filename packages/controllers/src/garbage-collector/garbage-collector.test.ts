import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { findByKind, KObject, ResourceInfo } from '@skiff/api';
import { GarbageCollector } from './garbage-collector';
import { ServiceAccountController } from '../serviceaccount/service-account-controller';
import { testEnv, rs, pod } from '../testing/fixtures';

const RS = findByKind('apps/v1', 'ReplicaSet')!;
const POD = findByKind('v1', 'Pod')!;

function setup(live: KObject[] = []) {
  const env = testEnv();
  const rsCache = env.cache();
  const podCache = env.cache();
  const gc = new GarbageCollector({
    resources: [{ info: RS, cache: rsCache }, { info: POD, cache: podCache }],
    client: env.client, log: env.log,
    getLive: async (info: ResourceInfo, ns, name) => live.find((o) => o.kind === info.kind && o.metadata.namespace === ns && o.metadata.name === name),
  });
  return { ...env, rsCache, podCache, gc };
}

describe('GarbageCollector', () => {
  test('background: a dependent whose owner is gone is deleted', async () => {
    const owner = rs('web-1');
    const t = setup([]);
    t.podCache.upsert(pod('p1', { owner }));
    await t.gc.reconcile('/pods|default/p1');
    assert.deepEqual(t.client.summary(), ['delete pods default/p1']);
    assert.equal(t.client.actions[0]!.options!.propagationPolicy, 'Background');
  });

  test('an owner with a different uid (recreated) counts as gone; a live owner keeps it', async () => {
    const owner = rs('web-1');
    const t = setup([{ ...owner, metadata: { ...owner.metadata, uid: 'other' } }]);
    t.podCache.upsert(pod('p1', { owner }));
    await t.gc.reconcile('/pods|default/p1');
    assert.deepEqual(t.client.summary(), ['delete pods default/p1']);
    const t2 = setup([owner]);
    t2.podCache.upsert(pod('p1', { owner }));
    await t2.gc.reconcile('/pods|default/p1');
    assert.deepEqual(t2.client.actions, []);
  });

  test('foreground: dependents are deleted first, then the finalizer goes', async () => {
    const owner = rs('web-1');
    owner.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    owner.metadata.finalizers = ['foregroundDeletion'];
    const t = setup([owner]);
    t.rsCache.upsert(owner);
    t.podCache.upsert(pod('p1', { owner }));
    await t.gc.reconcile('apps/replicasets|default/web-1');
    assert.deepEqual(t.client.summary(), ['delete pods default/p1']);
    assert.equal(t.client.actions[0]!.options!.propagationPolicy, 'Foreground');
    t.podCache.remove('default/p1');
    await t.gc.reconcile('apps/replicasets|default/web-1');
    const upd = t.client.actions[1]!;
    assert.equal(upd.verb, 'update');
    assert.deepEqual(upd.object!.metadata.finalizers, []);
  });

  test('orphan: references to the owner are removed, then the finalizer goes', async () => {
    const owner = rs('web-1');
    owner.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
    owner.metadata.finalizers = ['orphan'];
    const t = setup([owner]);
    t.rsCache.upsert(owner);
    t.podCache.upsert(pod('p1', { owner }));
    await t.gc.reconcile('apps/replicasets|default/web-1');
    assert.deepEqual(t.client.summary(), ['patch pods default/p1', 'update replicasets default/web-1']);
    assert.deepEqual(t.client.actions[0]!.patch, { metadata: { uid: 'uid-p1', ownerReferences: null } });
    assert.deepEqual(t.client.actions[1]!.object!.metadata.finalizers, []);
  });
});

describe('ServiceAccountController', () => {
  test('creates the default ServiceAccount in an active namespace only', async () => {
    const env = testEnv();
    const namespaces = env.cache();
    const serviceAccounts = env.cache();
    const c = new ServiceAccountController({ namespaces, serviceAccounts, client: env.client, log: env.log });
    namespaces.upsert({ metadata: { name: 'team' }, status: { phase: 'Active' } });
    namespaces.upsert({ metadata: { name: 'old', deletionTimestamp: '2024-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
    namespaces.upsert({ metadata: { name: 'has' }, status: { phase: 'Active' } });
    serviceAccounts.upsert({ metadata: { name: 'default', namespace: 'has' } });
    for (const n of ['team', 'old', 'has']) await c.reconcile(n);
    assert.deepEqual(env.client.summary(), ['create serviceaccounts team/default']);
  });
});
