import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { buildSnapshot, type Snapshot } from './snapshot';
import { schedule } from './schedule';
import {
  claimMatchesVolume, findMatchingVolume, REASON_NO_AVAILABLE_VOLUMES, REASON_VOLUME_NODE_AFFINITY, volumeBinding, type VolumeLookup,
} from './volume-binding';

const node = (name: string): Node => ({
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
});

const claim = (name: string, o: { volumeName?: string; storage?: string; modes?: string[]; cls?: string; deleting?: boolean } = {}): PersistentVolumeClaim => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: {
    accessModes: o.modes ?? ['ReadWriteOnce'], resources: { requests: { storage: o.storage ?? '1Gi' } },
    ...(o.volumeName ? { volumeName: o.volumeName } : {}), ...(o.cls ? { storageClassName: o.cls } : {}),
  },
  status: { phase: o.volumeName ? 'Bound' : 'Pending' },
});

const volume = (name: string, o: { node?: string; storage?: string; modes?: string[]; claimRef?: string; cls?: string } = {}): PersistentVolume => ({
  metadata: { name },
  spec: {
    capacity: { storage: o.storage ?? '1Gi' }, accessModes: o.modes ?? ['ReadWriteOnce'], local: { path: `/mnt/${name}` },
    ...(o.cls ? { storageClassName: o.cls } : {}),
    ...(o.node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [o.node] }] }] } } } : {}),
    ...(o.claimRef ? { claimRef: { name: o.claimRef, namespace: 'default', uid: `uid-${o.claimRef}` } } : {}),
  },
  status: { phase: o.claimRef ? 'Bound' : 'Available' },
});

const podWith = (...claims: string[]): Pod => ({
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'x' }], volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) },
});

function snapshotWith(claims: PersistentVolumeClaim[], volumes: PersistentVolume[]): Snapshot {
  const s = buildSnapshot([node('n1'), node('n2')], []);
  const lookup: VolumeLookup = {
    claim: (ns, name) => claims.find((c) => c.metadata?.namespace === ns && c.metadata.name === name),
    volume: (name) => volumes.find((v) => v.metadata?.name === name),
    volumes: () => volumes,
  };
  s.volumes = lookup;
  return s;
}

const reasons = (pod: Pod, s: Snapshot) => Object.fromEntries(s.nodes.map((n) => [n.name, volumeBinding.filter(pod, n, s)]));

describe('VolumeBinding filter', () => {
  test('a claim bound to a node-pinned PV pins the pod to that node', () => {
    const s = snapshotWith([claim('www-web-0', { volumeName: 'pv-a' })], [volume('pv-a', { node: 'n2', claimRef: 'www-web-0' })]);
    assert.deepEqual(reasons(podWith('www-web-0'), s), { n1: [REASON_VOLUME_NODE_AFFINITY], n2: [] });
    const r = schedule(podWith('www-web-0'), s);
    assert.equal(r.node, 'n2');
  });

  test('the failure message counts the volume node affinity conflict as Kubernetes words it', () => {
    const s = snapshotWith([claim('data', { volumeName: 'pv-a' })], [volume('pv-a', { node: 'n9', claimRef: 'data' })]);
    const r = schedule(podWith('data'), s);
    assert.equal(r.node, undefined);
    assert.equal(r.node === undefined && r.message, '0/2 nodes are available: 2 node(s) had volume node affinity conflict.');
  });

  test('an unbound claim with no matching static PV fits every node (provisioned after scheduling)', () => {
    const s = snapshotWith([claim('data')], []);
    assert.deepEqual(reasons(podWith('data'), s), { n1: [], n2: [] });
  });

  test('an unbound claim with a matching static PV only fits the nodes where one is', () => {
    const s = snapshotWith([claim('data')], [volume('static-1', { node: 'n1' })]);
    assert.deepEqual(reasons(podWith('data'), s), { n1: [], n2: [REASON_NO_AVAILABLE_VOLUMES] });
  });

  test('claimed, too small or wrong-mode PVs do not count', () => {
    const s = snapshotWith([claim('data', { storage: '2Gi' })], [
      volume('small', { node: 'n1', storage: '1Gi' }), volume('taken', { node: 'n1', storage: '5Gi', claimRef: 'other' }),
      volume('rox', { node: 'n1', storage: '5Gi', modes: ['ReadOnlyMany'] }),
    ]);
    assert.deepEqual(reasons(podWith('data'), s), { n1: [], n2: [] });
  });

  test('missing or terminating claims make the pod unschedulable everywhere', () => {
    assert.deepEqual(reasons(podWith('nope'), snapshotWith([], [])), { n1: ['persistentvolumeclaim "nope" not found'], n2: ['persistentvolumeclaim "nope" not found'] });
    assert.deepEqual(reasons(podWith('d'), snapshotWith([claim('d', { deleting: true })], [])).n1, ['persistentvolumeclaim "d" is being deleted']);
  });

  test('without a volume lookup the filter passes (callers that do not track volumes)', () => {
    const s = buildSnapshot([node('n1')], []);
    assert.deepEqual(volumeBinding.filter(podWith('x'), s.nodes[0]!, s), []);
  });
});

describe('claim/volume matching', () => {
  test('class, capacity, access modes; the smallest fit wins', () => {
    const c = claim('d', { storage: '1Gi', cls: 'local' });
    assert.equal(claimMatchesVolume(c, volume('v', { cls: 'local', storage: '1Gi' })), true);
    assert.equal(claimMatchesVolume(c, volume('v', { storage: '1Gi' })), false);
    assert.equal(claimMatchesVolume(c, volume('v', { cls: 'local', storage: '500Mi' })), false);
    const pick = findMatchingVolume(c, [volume('big', { cls: 'local', storage: '10Gi' }), volume('fit', { cls: 'local', storage: '2Gi' })]);
    assert.equal(pick?.metadata?.name, 'fit');
    assert.equal(findMatchingVolume(c, [volume('fit', { cls: 'local', node: 'n2' })], node('n1')), undefined);
  });
});
