import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { SchedulerLoop } from './scheduler-loop';
import { testEnv, pod } from '../testing/fixtures';

function node(name: string, memory = '4Gi', taints?: unknown[]): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { taints }, status: { allocatable: { cpu: '2', memory, pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] } };
}

function pending(name: string, memory?: string): KObject {
  const p = pod(name, { nodeName: '' });
  delete (p.spec as { nodeName?: string }).nodeName;
  (p.status as { phase: string }).phase = 'Pending';
  if (memory) (p.spec as { containers: { resources?: unknown }[] }).containers[0]!.resources = { requests: { memory } };
  return p;
}

function setup() {
  const env = testEnv();
  const pods = env.cache();
  const nodes = env.cache();
  const s = new SchedulerLoop({ pods, nodes, client: env.client, recorder: env.recorder, log: env.log });
  return { ...env, pods, nodes, s };
}

describe('SchedulerLoop', () => {
  test('binds a pending pod and records Scheduled', async () => {
    const t = setup();
    t.nodes.upsert(node('n1'));
    t.pods.upsert(pending('p'));
    await t.s.reconcile('default/p');
    assert.deepEqual(t.client.summary(), ['bind pods default/p -> n1']);
    assert.deepEqual(t.recorder.events, ['Normal Scheduled Successfully assigned default/p to n1']);
  });

  test('assumed pods count for the next decision before the cache shows them bound', async () => {
    const t = setup();
    t.nodes.upsert(node('a', '1Gi'));
    t.nodes.upsert(node('b', '1Gi'));
    t.pods.upsert(pending('p1', '700Mi'));
    t.pods.upsert(pending('p2', '700Mi'));
    await t.s.reconcile('default/p1');
    await t.s.reconcile('default/p2');
    const binds = t.client.actions.filter((a) => a.verb === 'bind').map((a) => a.node);
    assert.deepEqual(binds.sort(), ['a', 'b']);
  });

  test('no fit: FailedScheduling worded as Kubernetes, PodScheduled=False, no bind', async () => {
    const t = setup();
    t.nodes.upsert(node('a', '4Gi', [{ key: 'env', value: 'dev', effect: 'NoSchedule' }]));
    t.nodes.upsert(node('b', '1Gi'));
    t.nodes.upsert(node('c', '1Gi'));
    t.pods.upsert(pending('big', '2Gi'));
    await t.s.reconcile('default/big');
    assert.deepEqual(t.recorder.events, ['Warning FailedScheduling 0/3 nodes are available: 1 node(s) had untolerated taint {env: dev}, 2 Insufficient memory.']);
    const st = t.client.actions.find((a) => a.verb === 'update-status')!.object!.status as { conditions: { type: string; status: string; reason: string }[] };
    assert.deepEqual(st.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`), ['Ready=True/undefined', 'PodScheduled=False/Unschedulable']);
    assert.ok(!t.client.actions.some((a) => a.verb === 'bind'));
  });

  test('pods of other schedulers and bound pods are left alone', async () => {
    const t = setup();
    t.nodes.upsert(node('n1'));
    const other = pending('o');
    (other.spec as { schedulerName: string }).schedulerName = 'my-scheduler';
    t.pods.upsert(other);
    t.pods.upsert(pod('bound', { nodeName: 'n1' }));
    await t.s.reconcile('default/o');
    await t.s.reconcile('default/bound');
    assert.deepEqual(t.client.actions, []);
  });
});
