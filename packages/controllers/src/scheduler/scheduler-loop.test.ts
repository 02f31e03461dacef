import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { SchedulerLoop } from './scheduler-loop';
import { SchedulingQueue } from './scheduling-queue';
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
  const pdbs = env.cache();
  const s = new SchedulerLoop({ pods, nodes, pdbs, client: env.client, recorder: env.recorder, log: env.log });
  return { ...env, pods, nodes, pdbs, s };
}

function withPriority(p: KObject, priority: number, policy?: string): KObject {
  Object.assign(p.spec as object, { priority, ...(policy ? { preemptionPolicy: policy } : {}) });
  return p;
}

function bound(name: string, nodeName: string, memory: string, priority: number, labels?: Record<string, string>): KObject {
  const p = pod(name, { nodeName, labels });
  (p.spec as { containers: { resources?: unknown }[] }).containers[0]!.resources = { requests: { memory } };
  return withPriority(p, priority);
}

/** Informers reduced to what register() uses; `emit` plays an informer event after the cache changed. */
function fakeInformers(t: ReturnType<typeof setup>) {
  const handlers: Record<'pods' | 'nodes', { add(o: KObject): void; update(old: KObject, o: KObject): void; delete(o: KObject): void }[]> = { pods: [], nodes: [] };
  const inf = (kind: 'pods' | 'nodes') => ({ addHandler: (h: never) => { handlers[kind].push(h); } }) as never;
  t.s.register(inf('pods'), inf('nodes'));
  return {
    upsert(kind: 'pods' | 'nodes', o: KObject) {
      const old = t[kind].upsert(o);
      for (const h of handlers[kind]) { if (old) h.update(old, o); else h.add(o); }
    },
    remove(kind: 'pods' | 'nodes', key: string) {
      const old = t[kind].remove(key);
      if (old) for (const h of handlers[kind]) h.delete(old);
    },
  };
}

describe('SchedulerLoop', () => {
  test('binds a pending pod and records Scheduled', async () => {
    const t = setup();
    t.nodes.upsert(node('n1'));
    t.pods.upsert(pending('p'));
    await t.s.reconcile('default/p');
    await t.s.flush();
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

  test('the queue hands out higher priorities first, ties in arrival order', async () => {
    const prio: Record<string, number> = { a: 0, b: 100, c: 5, d: 100, e: -3 };
    const q = new SchedulingQueue((k) => prio[k] ?? 0);
    for (const k of ['a', 'b', 'c', 'd', 'e']) q.add(k);
    q.add('b');
    assert.deepEqual(q.peekOrder(), ['b', 'd', 'c', 'a', 'e']);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) { const k = (await q.get())!; got.push(k); q.done(k); }
    assert.deepEqual(got, ['b', 'd', 'c', 'a', 'e']);
    q.shutDown();
  });

  test('the default queue orders pending pods by spec.priority', () => {
    const t = setup();
    t.pods.upsert(withPriority(pending('low'), 1));
    t.pods.upsert(withPriority(pending('high'), 1000));
    t.s.queue.add('default/low');
    t.s.queue.add('default/high');
    assert.deepEqual((t.s.queue as SchedulingQueue).peekOrder(), ['default/high', 'default/low']);
  });

  test('preemption: the lower-priority pod is deleted with a Preempted event, the pod is nominated, then binds once the victim is gone', async () => {
    const t = setup();
    const inf = fakeInformers(t);
    inf.upsert('nodes', node('n1', '1Gi'));
    inf.upsert('nodes', node('n2', '1Gi'));
    inf.upsert('pods', bound('low1', 'n1', '700Mi', 10));
    inf.upsert('pods', bound('low2', 'n2', '700Mi', 5));
    const high = withPriority(pending('high', '700Mi'), 1000);
    high.metadata.uid = 'uid-high';
    inf.upsert('pods', high);
    await t.s.reconcile('default/high');
    await t.s.flush();
    assert.deepEqual(t.client.summary(), ['update-status pods default/low2', 'delete pods default/low2', 'update-status pods default/high']);
    const victimStatus = t.client.actions[0]!.object!.status as { conditions: { type: string; reason: string }[] };
    assert.deepEqual(victimStatus.conditions.map((c) => `${c.type}/${c.reason}`).filter((c) => c.startsWith('Disruption')), ['DisruptionTarget/PreemptionByScheduler']);
    assert.deepEqual(t.recorder.events, [
      'Normal Preempted Preempted by pod uid-high on node n2',
      'Warning FailedScheduling 0/2 nodes are available: 2 Insufficient memory.',
    ]);
    const st = t.client.actions[2]!.object!.status as { nominatedNodeName?: string };
    assert.equal(st.nominatedNodeName, 'n2');

    // The victim is terminating: no second round of evictions while it goes.
    const terminating = structuredClone(t.pods.get('default/low2')!);
    terminating.metadata.deletionTimestamp = '2024-01-01T00:02:00Z';
    inf.upsert('pods', terminating);
    const withStatus = structuredClone(t.pods.get('default/high')!);
    withStatus.status = st as never;
    inf.upsert('pods', withStatus);
    t.client.actions.length = 0;
    await t.s.reconcile('default/high');
    assert.ok(!t.client.actions.some((a) => a.verb === 'delete' || a.verb === 'bind'), t.client.summary().join('\n'));

    inf.remove('pods', 'default/low2');
    // A lower-priority pod does not take the room freed for the nominated one.
    inf.upsert('pods', withPriority(pending('latecomer', '700Mi'), 20));
    t.client.actions.length = 0;
    await t.s.reconcile('default/latecomer');
    assert.ok(!t.client.actions.some((a) => a.verb === 'bind'), t.client.summary().join('\n'));
    t.client.actions.length = 0;
    await t.s.reconcile('default/high');
    await t.s.flush();
    assert.deepEqual(t.client.summary(), ['bind pods default/high -> n2']);
  });

  test('preemptionPolicy Never and equal priorities never preempt', async () => {
    const t = setup();
    t.nodes.upsert(node('n1', '1Gi'));
    t.pods.upsert(bound('same', 'n1', '700Mi', 1000));
    t.pods.upsert(bound('low', 'n1', '200Mi', 0));
    t.pods.upsert(withPriority(pending('never', '700Mi'), 5000, 'Never'));
    t.pods.upsert(withPriority(pending('peer', '900Mi'), 1000));
    await t.s.reconcile('default/never');
    await t.s.reconcile('default/peer');
    assert.ok(!t.client.actions.some((a) => a.verb === 'delete'), t.client.summary().join('\n'));
  });
});
