import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { ObjectCache, byNodeName } from '../informer/object-cache';
import { NodeLifecycleController, TAINT_UNREACHABLE, TAINT_NOT_READY, NODE_STATUS_UNKNOWN_MESSAGE } from './node-lifecycle-controller';
import { testEnv, pod, T0 } from '../testing/fixtures';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function node(name: string, o: { ready?: string; heartbeat?: number; taints?: { key: string; effect: string; timeAdded?: string }[] } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: iso(T0 - 3600_000) },
    spec: o.taints ? { taints: o.taints } : {},
    status: { conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', lastHeartbeatTime: iso(o.heartbeat ?? T0 - 3600_000), lastTransitionTime: iso(T0 - 3600_000) }] },
  };
}

function lease(name: string, renew: number): KObject {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, renewTime: new Date(renew).toISOString().replace('Z', '000Z') } };
}

function setup(now = T0) {
  const env = testEnv();
  const nodes = env.cache();
  const leases = env.cache();
  const pods = new ObjectCache({ node: byNodeName });
  const c = new NodeLifecycleController({ nodes, leases, pods, client: env.client, recorder: env.recorder, log: env.log, clock: () => now, nodeMonitorGracePeriodMs: 40_000, podEvictionTimeoutMs: 300_000 });
  return { ...env, nodes, leases, pods, c };
}

describe('NodeLifecycleController', () => {
  test('a node with a fresh lease is left alone', async () => {
    const t = setup();
    t.nodes.upsert(node('n1'));
    t.leases.upsert(lease('n1', T0 - 5000));
    t.pods.upsert(pod('p1'));
    await t.c.reconcile('n1');
    assert.deepEqual(t.client.actions, []);
    assert.deepEqual(t.recorder.events, []);
  });

  test('a stale lease makes the node Ready=Unknown, taints it unreachable, marks pods not ready', async () => {
    const t = setup();
    t.nodes.upsert(node('n1'));
    t.leases.upsert(lease('n1', T0 - 41_000));
    const p = pod('p1');
    (p.spec as { tolerations?: unknown[] }).tolerations = [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
    t.pods.upsert(p);
    await t.c.reconcile('n1');
    assert.deepEqual(t.client.summary(), ['update-status nodes n1', 'update-status pods default/p1', 'patch nodes n1']);
    const ready = (t.client.actions[0]!.object!.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions[0]!;
    assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', NODE_STATUS_UNKNOWN_MESSAGE]);
    const podReady = (t.client.actions[1]!.object!.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')!;
    assert.equal(podReady.status, 'False');
    const taints = (t.client.actions[2]!.patch as { spec: { taints: { key: string; effect: string; timeAdded: string }[] } }).spec.taints;
    assert.deepEqual(taints, [{ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0) }]);
    assert.ok(t.recorder.events.includes('Normal NodeNotReady Node n1 status is now: NodeNotReady'));
  });

  test('Ready=False gets the not-ready taint and loses the unreachable one', async () => {
    const t = setup();
    t.nodes.upsert(node('n1', { ready: 'False', heartbeat: T0 - 1000, taints: [{ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0 - 10_000) }, { key: 'x', effect: 'NoSchedule' }] }));
    await t.c.reconcile('n1');
    const taints = (t.client.actions[0]!.patch as { spec: { taints: { key: string }[] } }).spec.taints;
    assert.deepEqual(taints.map((x) => x.key), ['x', TAINT_NOT_READY]);
  });

  test('pods are evicted once their toleration runs out; no toleration uses podEvictionTimeout', async () => {
    const t = setup();
    t.nodes.upsert(node('n1', { ready: 'Unknown', taints: [{ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0 - 60_000) }] }));
    t.leases.upsert(lease('n1', T0 - 100_000));
    const short = pod('short');
    (short.spec as { tolerations?: unknown[] }).tolerations = [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }];
    const forever = pod('forever');
    (forever.spec as { tolerations?: unknown[] }).tolerations = [{ operator: 'Exists' }];
    const none = pod('none');
    t.pods.upsert(short);
    t.pods.upsert(forever);
    t.pods.upsert(none);
    await t.c.reconcile('n1');
    assert.deepEqual(t.client.summary(), ['delete pods default/short']);
    assert.deepEqual(t.recorder.events, ['Normal TaintManagerEviction Marking for deletion Pod default/short']);
    const t2 = setup(T0 + 300_000);
    t2.nodes.upsert(t.nodes.get('n1')!);
    t2.pods.upsert(none);
    t2.pods.upsert(forever);
    await t2.c.reconcile('n1');
    assert.deepEqual(t2.client.summary(), ['delete pods default/none']);
  });

  test('the taint is removed when the node is Ready again', async () => {
    const t = setup();
    t.nodes.upsert(node('n1', { heartbeat: T0 - 1000, taints: [{ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0 - 60_000) }] }));
    t.leases.upsert(lease('n1', T0 - 1000));
    await t.c.reconcile('n1');
    assert.deepEqual(t.client.summary(), ['patch nodes n1']);
    assert.equal((t.client.actions[0]!.patch as { spec: { taints: unknown } }).spec.taints, null);
  });
});
