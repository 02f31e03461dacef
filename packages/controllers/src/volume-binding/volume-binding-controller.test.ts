import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { ObjectCache } from '../informer/object-cache';
import { ANN_PROVISIONED_BY, byClaim, newLocalVolume, PROVISIONER_NAME, VolumeBindingController } from './volume-binding-controller';
import { testEnv, pod } from '../testing/fixtures';

function claim(name: string, o: { volumeName?: string; phase?: string; storage?: string } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '5' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.storage ?? '1Gi' } }, volumeMode: 'Filesystem', ...(o.volumeName ? { volumeName: o.volumeName } : {}) },
    status: { phase: o.phase ?? 'Pending' },
  };
}

function volume(name: string, o: { node?: string; claimRef?: KObject; phase?: string; provisioned?: boolean; storage?: string } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, uid: `uid-${name}`, ...(o.provisioned ? { annotations: { [ANN_PROVISIONED_BY]: PROVISIONER_NAME } } : {}) },
    spec: {
      capacity: { storage: o.storage ?? '1Gi' }, accessModes: ['ReadWriteOnce'], volumeMode: 'Filesystem', persistentVolumeReclaimPolicy: o.provisioned ? 'Delete' : 'Retain',
      local: { path: `/mnt/${name}` },
      ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
      ...(o.claimRef ? { claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: o.claimRef.metadata.name, uid: o.claimRef.metadata.uid } } : {}),
    },
    status: { phase: o.phase ?? 'Available' },
  };
}

function consumer(claimName: string, nodeName?: string): KObject {
  const p = pod('web-0', { nodeName });
  if (!nodeName) delete (p.spec as { nodeName?: string }).nodeName;
  (p.spec as { volumes?: unknown[] }).volumes = [{ name: 'www', persistentVolumeClaim: { claimName } }];
  return p;
}

const node = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });

function setup() {
  const env = testEnv();
  const claims = env.cache();
  const volumes = env.cache();
  const pods = new ObjectCache({ claim: byClaim });
  const nodes = env.cache();
  nodes.upsert(node('n1'));
  nodes.upsert(node('n2'));
  const c = new VolumeBindingController({ claims, volumes, pods, nodes, client: env.client, recorder: env.recorder, log: env.log, localVolumeDir: '/srv/vols/' });
  return { ...env, claims, volumes, pods, nodes, c };
}

describe('VolumeBindingController', () => {
  test('an unbound claim without a scheduled consumer waits (WaitForFirstConsumer)', async () => {
    const t = setup();
    t.claims.upsert(claim('www-web-0'));
    t.pods.upsert(consumer('www-web-0'));
    await t.c.reconcile('pvc/default/www-web-0');
    assert.deepEqual(t.client.actions, []);
  });

  test('a scheduled consumer and no matching PV: a local PV pvc-<uid> is provisioned on its node and bound', async () => {
    const t = setup();
    const c = claim('www-web-0');
    t.claims.upsert(c);
    t.pods.upsert(consumer('www-web-0', 'n2'));
    await t.c.reconcile('pvc/default/www-web-0');
    assert.deepEqual(t.client.summary(), [
      'create persistentvolumes pvc-uid-www-web-0', 'update-status persistentvolumes pvc-uid-www-web-0',
      'update persistentvolumeclaims default/www-web-0', 'update-status persistentvolumeclaims default/www-web-0',
    ]);
    const pv = t.client.actions[0]!.object! as KObject & { spec: Record<string, any> };
    assert.deepEqual(pv.spec.local, { path: '/srv/vols/pvc-uid-www-web-0' });
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] });
    assert.deepEqual(pv.spec.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'www-web-0', uid: 'uid-www-web-0' });
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Delete');
    assert.deepEqual(pv.spec.capacity, { storage: '1Gi' });
    assert.equal((t.client.actions[1]!.object!.status as { phase: string }).phase, 'Bound');
    assert.equal((t.client.actions[2]!.object!.spec as { volumeName: string }).volumeName, 'pvc-uid-www-web-0');
    assert.deepEqual(t.client.actions[3]!.object!.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    assert.deepEqual(t.recorder.events, ['Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-www-web-0 on node n2']);
  });

  test('a matching static PV on the consumer node is bound instead (smallest that fits; other nodes ignored)', async () => {
    const t = setup();
    t.claims.upsert(claim('data'));
    t.pods.upsert(consumer('data', 'n1'));
    t.volumes.upsert(volume('far', { node: 'n2' }));
    t.volumes.upsert(volume('big', { node: 'n1', storage: '5Gi' }));
    t.volumes.upsert(volume('fit', { node: 'n1', storage: '2Gi' }));
    await t.c.reconcile('pvc/default/data');
    assert.deepEqual(t.client.summary(), [
      'update persistentvolumes fit', 'update-status persistentvolumes fit',
      'update persistentvolumeclaims default/data', 'update-status persistentvolumeclaims default/data',
    ]);
    assert.equal((t.client.actions[0]!.object!.spec as { claimRef: { name: string } }).claimRef.name, 'data');
  });

  test('a claim naming a PV in spec.volumeName binds to it without a consumer', async () => {
    const t = setup();
    t.claims.upsert(claim('data', { volumeName: 'static' }));
    t.volumes.upsert(volume('static'));
    await t.c.reconcile('pvc/default/data');
    assert.deepEqual(t.client.summary(), [
      'update persistentvolumes static', 'update-status persistentvolumes static',
      'update persistentvolumeclaims default/data', 'update-status persistentvolumeclaims default/data',
    ]);
  });

  test('a bound claim is left alone', async () => {
    const t = setup();
    const c = claim('data', { volumeName: 'v', phase: 'Bound' });
    t.claims.upsert(c);
    t.volumes.upsert(volume('v', { claimRef: c, phase: 'Bound' }));
    t.pods.upsert(consumer('data', 'n1'));
    await t.c.reconcile('pvc/default/data');
    assert.deepEqual(t.client.actions, []);
  });

  test('claim gone: a provisioned PV is deleted, a static one becomes Released', async () => {
    const t = setup();
    const gone = claim('gone');
    t.volumes.upsert(volume('pvc-x', { claimRef: gone, phase: 'Bound', provisioned: true }));
    t.volumes.upsert(volume('static', { claimRef: gone, phase: 'Bound' }));
    await t.c.reconcile('pv/pvc-x');
    await t.c.reconcile('pv/static');
    assert.deepEqual(t.client.summary(), ['delete persistentvolumes pvc-x', 'update-status persistentvolumes static']);
    assert.equal((t.client.actions[1]!.object!.status as { phase: string }).phase, 'Released');
  });

  test('newLocalVolume carries the claim storage class', () => {
    const c = claim('d');
    (c.spec as Record<string, unknown>).storageClassName = 'local';
    assert.equal((newLocalVolume(c, 'n1').spec as { storageClassName?: string }).storageClassName, 'local');
    assert.equal((newLocalVolume(c, 'n1').spec as { local: { path: string } }).local.path, '/var/lib/skiff/volumes/pvc-uid-d');
  });
});
