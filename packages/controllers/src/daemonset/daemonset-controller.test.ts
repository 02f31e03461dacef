import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import type { PodSpec } from 'kubernetes-types/core/v1';
import { DaemonSetController, CONTROLLER_REVISION_HASH, daemonPodNode, nodeShouldRunDaemonPod, pinToNode, templateHash, withDaemonTolerations, type DaemonSetStatus } from './daemonset-controller';
import { testEnv, pod, T0 } from '../testing/fixtures';

function ds(name: string, o: { image?: string; podSpec?: Record<string, unknown>; maxUnavailable?: number | string; strategy?: string; status?: Record<string, unknown> } = {}): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 3 },
    spec: {
      selector: { matchLabels: { app: name } },
      updateStrategy: o.strategy === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: o.maxUnavailable ?? 1 } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: o.image ?? 'busybox:1' }], ...(o.podSpec ?? {}) } },
    },
    ...(o.status ? { status: o.status } : {}),
  };
}

function node(name: string, o: { labels?: Record<string, string>; taints?: { key: string; effect: string; value?: string }[] } = {}): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } }, spec: { taints: o.taints } };
}

function dsPod(name: string, d: KObject, nodeName: string, o: { hash?: string; ready?: boolean; phase?: string; deleting?: boolean } = {}): KObject {
  const p = pod(name, { owner: d, ownerKind: 'DaemonSet', nodeName, ready: o.ready, phase: o.phase, deleting: o.deleting, labels: { app: d.metadata.name!, [CONTROLLER_REVISION_HASH]: o.hash ?? templateHash(d) } });
  return p;
}

function setup() {
  const env = testEnv();
  const daemonSets = env.cache();
  const pods = env.cache();
  const nodes = env.cache();
  const c = new DaemonSetController({ daemonSets, pods, nodes, client: env.client, recorder: env.recorder, log: env.log, clock: () => T0 });
  return { ...env, daemonSets, pods, nodes, c };
}

const creates = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'create').map((a) => a.object!);
const deletes = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'delete').map((a) => a.name).sort();
const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)!.object!.status as unknown as DaemonSetStatus;

describe('DaemonSet helpers', () => {
  test('daemon tolerations; network-unavailable only with hostNetwork; given ones are kept', () => {
    const keys = (s: PodSpec) => (s.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
    assert.deepEqual(keys(withDaemonTolerations({ containers: [] })), [
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.ok(keys(withDaemonTolerations({ containers: [], hostNetwork: true })).includes('node.kubernetes.io/network-unavailable:NoSchedule'));
    const given = withDaemonTolerations({ containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] });
    assert.equal(given.tolerations!.filter((t) => t.key === 'node.kubernetes.io/not-ready').length, 1);
    assert.equal(given.tolerations![0]!.tolerationSeconds, 5);
  });

  test('pinToNode replaces matchFields in every required term and keeps matchExpressions', () => {
    const spec = pinToNode({ containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } } }, 'n1');
    assert.deepEqual(spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms, [
      { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
    ]);
    assert.equal(daemonPodNode({ metadata: {}, spec: spec as unknown as Record<string, unknown> }), 'n1');
  });

  test('shouldRun: nodeSelector, taints (NoSchedule blocks running, NoExecute also continued running), tolerated system taints', () => {
    const d = ds('agent', { podSpec: { nodeSelector: { role: 'edge' } } });
    assert.deepEqual(nodeShouldRunDaemonPod(d, node('a', { labels: { role: 'edge' } })), { shouldRun: true, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(d, node('b')), { shouldRun: false, shouldContinueRunning: false });
    const plain = ds('agent');
    assert.deepEqual(nodeShouldRunDaemonPod(plain, node('c', { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] })), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(nodeShouldRunDaemonPod(plain, node('d', { taints: [{ key: 'dedicated', effect: 'NoExecute' }] })), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(nodeShouldRunDaemonPod(plain, node('e', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] })).shouldRun, true);
  });
});

describe('DaemonSetController', () => {
  test('creates one pinned pod per eligible node with ownerReference, hash label and tolerations', async () => {
    const t = setup();
    const d = ds('agent', { podSpec: { nodeSelector: { role: 'edge' } } });
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1', { labels: { role: 'edge' } }));
    t.nodes.upsert(node('n2', { labels: { role: 'edge' } }));
    t.nodes.upsert(node('n3'));
    await t.c.reconcile('default/agent');
    const made = creates(t);
    assert.equal(made.length, 2);
    assert.deepEqual(made.map((p) => daemonPodNode(p)).sort(), ['n1', 'n2']);
    const p = made[0]!;
    assert.equal((p.spec as PodSpec).nodeName, undefined);
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.metadata.labels![CONTROLLER_REVISION_HASH], templateHash(d));
    assert.equal(p.metadata.labels!.app, 'agent');
    assert.ok((p.spec as PodSpec).tolerations!.some((x) => x.key === 'node.kubernetes.io/unschedulable'));
    assert.equal(t.recorder.events.filter((e) => e.startsWith('Normal SuccessfulCreate Created pod: agent-')).length, 2);
    // Expectations hold further creations until the pods are observed.
    t.client.actions.length = 0;
    await t.c.reconcile('default/agent');
    assert.equal(creates(t).length, 0);
  });

  test('status: desired, current, ready, available, updated, misscheduled, observedGeneration', async () => {
    const t = setup();
    const d = ds('agent', { podSpec: { nodeSelector: { role: 'edge' } } });
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1', { labels: { role: 'edge' } }));
    t.nodes.upsert(node('n2', { labels: { role: 'edge' } }));
    t.nodes.upsert(node('n3', { labels: { role: 'edge' } }));
    t.nodes.upsert(node('n4', { taints: [{ key: 'x', effect: 'NoSchedule' }] }));
    t.pods.upsert(dsPod('p1', d, 'n1'));
    t.pods.upsert(dsPod('p2', d, 'n2', { ready: false, hash: 'old' }));
    t.pods.upsert(dsPod('p4', d, 'n4'));
    await t.c.reconcile('default/agent');
    const st = lastStatus(t);
    assert.deepEqual(
      [st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.numberAvailable, st.updatedNumberScheduled, st.numberMisscheduled, st.numberUnavailable, st.observedGeneration],
      [3, 2, 1, 1, 1, 1, 2, 3],
    );
    // n3 gets a pod; n4 does not match the nodeSelector, so its (misscheduled) pod goes.
    assert.deepEqual(creates(t).map((p) => daemonPodNode(p)), ['n3']);
    assert.deepEqual(deletes(t), ['p4']);
  });

  test('deletes duplicates, failed pods and pods of deleted nodes', async () => {
    const t = setup();
    const d = ds('agent');
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1'));
    t.nodes.upsert(node('n2'));
    t.pods.upsert({ ...dsPod('old', d, 'n1'), metadata: { ...dsPod('old', d, 'n1').metadata, creationTimestamp: '2023-01-01T00:00:00Z' } });
    t.pods.upsert(dsPod('dup', d, 'n1'));
    t.pods.upsert(dsPod('failed', d, 'n2', { phase: 'Failed' }));
    t.pods.upsert(dsPod('gone', d, 'n9'));
    await t.c.reconcile('default/agent');
    assert.deepEqual(deletes(t), ['dup', 'failed', 'gone']);
    // The failed pod is deleted and replaced in the same pass.
    assert.deepEqual(creates(t).map((p) => daemonPodNode(p)), ['n2']);
  });

  test('a new node gets its pod', async () => {
    const t = setup();
    const d = ds('agent');
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1'));
    t.pods.upsert(dsPod('p1', d, 'n1'));
    await t.c.reconcile('default/agent');
    assert.equal(creates(t).length, 0);
    t.nodes.upsert(node('n2'));
    await t.c.reconcile('default/agent');
    assert.deepEqual(creates(t).map((p) => daemonPodNode(p)), ['n2']);
  });

  test('RollingUpdate deletes old pods up to maxUnavailable, counting pods already unavailable', async () => {
    const t = setup();
    const d = ds('agent', { image: 'busybox:2', maxUnavailable: 2 });
    t.daemonSets.upsert(d);
    for (const n of ['n1', 'n2', 'n3', 'n4']) t.nodes.upsert(node(n));
    t.pods.upsert(dsPod('p1', d, 'n1', { hash: 'old' }));
    t.pods.upsert(dsPod('p2', d, 'n2', { hash: 'old' }));
    t.pods.upsert(dsPod('p3', d, 'n3', { hash: 'old' }));
    t.pods.upsert(dsPod('p4', d, 'n4', { ready: false }));
    await t.c.reconcile('default/agent');
    // One unavailable (the new p4) already: one old available pod may go.
    assert.deepEqual(deletes(t), ['p1']);
    assert.equal(creates(t).length, 0);
  });

  test('RollingUpdate: old unavailable pods are always replaced; percent maxUnavailable', async () => {
    const t = setup();
    const d = ds('agent', { image: 'busybox:2', maxUnavailable: '50%' });
    t.daemonSets.upsert(d);
    for (const n of ['n1', 'n2', 'n3', 'n4']) t.nodes.upsert(node(n));
    t.pods.upsert(dsPod('p1', d, 'n1', { hash: 'old', ready: false }));
    t.pods.upsert(dsPod('p2', d, 'n2', { hash: 'old' }));
    t.pods.upsert(dsPod('p3', d, 'n3', { hash: 'old' }));
    t.pods.upsert(dsPod('p4', d, 'n4', { hash: 'old' }));
    await t.c.reconcile('default/agent');
    assert.deepEqual(deletes(t), ['p1', 'p2']);
  });

  test('OnDelete never deletes old pods', async () => {
    const t = setup();
    const d = ds('agent', { image: 'busybox:2', strategy: 'OnDelete' });
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1'));
    t.pods.upsert(dsPod('p1', d, 'n1', { hash: 'old' }));
    await t.c.reconcile('default/agent');
    assert.deepEqual(deletes(t), []);
    assert.equal(lastStatus(t).updatedNumberScheduled, 0);
  });

  test('a pod being deleted blocks its replacement until it is gone', async () => {
    const t = setup();
    const d = ds('agent');
    t.daemonSets.upsert(d);
    t.nodes.upsert(node('n1'));
    t.pods.upsert(dsPod('p1', d, 'n1', { deleting: true }));
    await t.c.reconcile('default/agent');
    assert.equal(creates(t).length, 0);
    t.pods.remove('default/p1');
    await t.c.reconcile('default/agent');
    assert.equal(creates(t).length, 1);
  });
});
