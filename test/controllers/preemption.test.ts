/**
 * Priority and preemption end to end on hollow nodes (no Docker): two hollow nodes are
 * filled with low-priority pods; a high-priority pod that fits nowhere makes the scheduler
 * in skiff-master preempt one victim (deleted gracefully, removed once its hollow node
 * reports it stopped, a `Preempted` event recorded), nominate the node in
 * status.nominatedNodeName, and bind the pod there once the victim is gone. The victim gets
 * DisruptionTarget=True (PreemptionByScheduler) before its deletion.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event as KEvent, Pod } from 'kubernetes-types/core/v1';
import { ControlPlane, waitFor } from '../lib/control-plane';
import { PodWatch } from '../lib/agent-node';
import { HollowCluster } from '../lib/hollow-node';

const CLASSES = `apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: low
value: 10
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: high
value: 1000000
`;

const pod = (name: string, cls: string, memory: string): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: name.startsWith('low') ? 'low' : 'high' } },
  spec: {
    priorityClassName: cls,
    containers: [{ name: 'c', image: 'skiff/busybox:latest', command: ['sleep', '3600'], resources: { requests: { memory, cpu: '100m' } } }],
  },
});

const isRunning = (p: Pod | undefined): boolean => p?.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('preemption on hollow nodes', () => {
  let cp: ControlPlane;
  let hollow: HollowCluster | undefined;
  let watch: PodWatch | undefined;

  before(async () => {
    cp = await ControlPlane.start();
    hollow = await HollowCluster.start(cp, 2, { prefix: 'preempt', cpu: 4, memory: '1Gi' });
    watch = await PodWatch.start(cp);
  });

  after(async () => {
    watch?.stop();
    hollow?.stop();
    await cp?.stop();
  });

  test('a high-priority pod preempts one low-priority pod and binds to its node', async () => {
    await waitFor('2 Ready hollow nodes', async () => {
      const out = await cp.k(['get', 'nodes', '--no-headers']);
      return out.trim().split('\n').filter((l) => /\sReady\s/.test(l)).length === 2;
    }, 60_000);
    await cp.k(['apply', '-f', '-'], { input: CLASSES });
    const lows = ['low-0', 'low-1', 'low-2', 'low-3'];
    for (const n of lows) await cp.k(['create', '-f', '-'], { input: JSON.stringify(pod(n, 'low', '400Mi')) });
    for (const n of lows) await watch!.until(n, 'Running on a hollow node', (r) => isRunning(r.pod) && r.pod.spec?.nodeName, 60_000);
    const perNode = new Map<string, number>();
    for (const n of lows) { const node = watch!.get(n)!.pod.spec!.nodeName!; perNode.set(node, (perNode.get(node) ?? 0) + 1); }
    assert.deepEqual([...perNode.values()], [2, 2], 'two 400Mi pods on each 1Gi node: no room for 500Mi anywhere');

    await cp.k(['create', '-f', '-'], { input: JSON.stringify(pod('important', 'high', '500Mi')) });
    const node = await watch!.until('important', 'bound', (r) => r.pod.spec?.nodeName, 90_000);
    const rec = watch!.get('important')!;
    assert.equal(rec.pod.spec?.priority, 1000000);
    const nominated = rec.history.map((h) => h.pod.status?.nominatedNodeName).find((x) => x);
    assert.equal(nominated, node, 'status.nominatedNodeName named the node the pod then bound to');
    await watch!.until('important', 'Running', (r) => isRunning(r.pod), 60_000);

    const gone = lows.filter((n) => watch!.get(n)?.deleted);
    assert.equal(gone.length, 1, `exactly one victim: ${gone.join(',')}`);
    const victim = watch!.get(gone[0]!)!;
    assert.equal(victim.history[0]!.pod.spec?.nodeName ?? victim.pod.spec?.nodeName, node);
    assert.ok(victim.history.some((h) => h.pod.metadata?.deletionTimestamp), 'the victim was deleted gracefully (deletionTimestamp first)');
    assert.ok(victim.history.some((h) => h.pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.reason === 'PreemptionByScheduler')), 'DisruptionTarget=True/PreemptionByScheduler on the victim');
    for (const n of lows.filter((x) => x !== gone[0])) assert.ok(isRunning(watch!.get(n)!.pod) && !watch!.get(n)!.deleted, `${n} kept running`);

    const events = await waitFor('the Preempted event', async () => {
      const list = JSON.parse(await cp.k(['get', 'events', '-o', 'json', '--field-selector', 'reason=Preempted'])) as { items: KEvent[] };
      return list.items.length ? list.items : undefined;
    }, 30_000);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.involvedObject.name, gone[0]);
    assert.equal(events[0]!.message, `Preempted by pod ${rec.pod.metadata?.uid} on node ${node}`);
  });
});
