import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { WorkQueue } from '../informer/work-queue';
import { testEnv, pod } from '../testing/fixtures';
import { HorizontalPodAutoscalerController, type HpaStatus } from './hpa-controller';
import { StaticPodMetrics, type PodUsage } from './pod-metrics-source';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

class RecordingQueue extends WorkQueue {
  readonly delays: number[] = [];
  override addAfter(_key: string, ms: number): void {
    this.delays.push(ms);
  }
}

function hpa(spec: Record<string, unknown> = {}, status?: Record<string, unknown>): KObject {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-hpa', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }], ...spec,
    },
    ...(status ? { status } : {}),
  };
}

function deployment(replicas: number): KObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'uid-dep' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } } }, status: { replicas },
  };
}

function webPod(name: string): KObject {
  const p = pod(name, { readySince: iso(NOW - 3000_000) });
  (p.status as Record<string, unknown>).startTime = iso(NOW - 3600_000);
  (p.spec as { containers: Record<string, unknown>[] }).containers[0]!.resources = { requests: { cpu: '100m' } };
  return p;
}

const usage = (milli: number): PodUsage => ({ timestamp: NOW - 1000, windowMs: 15_000, containers: [{ name: 'web', cpuMilli: milli, memoryBytes: 1 << 20 }] });

function setup(replicas: number, usages: Record<string, number>) {
  const env = testEnv();
  const hpas = env.cache();
  const pods = env.cache();
  const queue = new RecordingQueue();
  for (const n of Object.keys(usages)) pods.upsert(webPod(n));
  const metrics = new StaticPodMetrics(new Map(Object.entries(usages).filter(([, v]) => v >= 0).map(([k, v]) => [k, usage(v)])));
  let target: KObject | undefined = deployment(replicas);
  const c = new HorizontalPodAutoscalerController({
    hpas, pods, client: env.client, recorder: env.recorder, log: env.log, metrics, queue, clock: () => NOW, syncPeriodMs: 5000,
    getTarget: async () => target,
  });
  return { ...env, hpas, pods, c, queue, metrics, setTarget: (t: KObject | undefined) => { target = t; } };
}

const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)!.object!.status as unknown as HpaStatus;
const cond = (s: HpaStatus, type: string) => s.conditions!.find((c) => c.type === type)!;

describe('HorizontalPodAutoscalerController', () => {
  test('scales up through the target scale with the kubectl event message; status and conditions', async () => {
    const t = setup(2, { a: 100, b: 100 });
    t.hpas.upsert(hpa());
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.summary(), ['patch deployments default/web', 'update-status horizontalpodautoscalers default/web']);
    assert.deepEqual(t.client.actions[0]!.patch, { spec: { replicas: 4 } });
    assert.deepEqual(t.recorder.events, ['Normal SuccessfulRescale New size: 4; reason: cpu resource utilization (percentage of request) above target']);
    const st = lastStatus(t);
    assert.deepEqual([st.currentReplicas, st.desiredReplicas, st.lastScaleTime, st.observedGeneration], [2, 4, iso(NOW), 1]);
    assert.deepEqual(st.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '100m', averageUtilization: 100 } } }]);
    assert.deepEqual([cond(st, 'AbleToScale').reason, cond(st, 'ScalingActive').reason, cond(st, 'ScalingLimited').status], ['SucceededRescale', 'ValidMetricFound', 'False']);
    assert.deepEqual(t.queue.delays, [5000]);
  });

  test('within tolerance: no rescale, desired = current', async () => {
    const t = setup(2, { a: 52, b: 50 });
    t.hpas.upsert(hpa());
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.summary(), ['update-status horizontalpodautoscalers default/web']);
    const st = lastStatus(t);
    assert.deepEqual([st.currentReplicas, st.desiredReplicas, cond(st, 'AbleToScale').reason], [2, 2, 'ReadyForNewScale']);
  });

  test('scale down is held by the default 300 s window, immediate with a zero window', async () => {
    const held = setup(4, { a: 10, b: 10, c: 10, d: 10 });
    held.hpas.upsert(hpa());
    await held.c.reconcile('default/web');
    // the first recommendation is its own history: nothing higher yet, so it goes down at once...
    assert.deepEqual(held.client.actions[0]!.patch, { spec: { replicas: 1 } });
    assert.deepEqual(held.recorder.events, ['Normal SuccessfulRescale New size: 1; reason: All metrics below target']);

    // ...but a recent higher recommendation holds it
    const t = setup(4, { a: 100, b: 100, c: 100, d: 100 });
    t.hpas.upsert(hpa({ maxReplicas: 4 }));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.summary(), ['update-status horizontalpodautoscalers default/web']);
    assert.equal(cond(lastStatus(t), 'ScalingLimited').reason, 'TooManyReplicas');
    for (const n of ['a', 'b', 'c', 'd']) t.metrics.usage.set(n, usage(5));
    await t.c.reconcile('default/web');
    assert.equal(t.client.actions.filter((a) => a.verb === 'patch').length, 0);
    assert.equal(cond(lastStatus(t), 'AbleToScale').reason, 'ScaleDownStabilized');

    t.hpas.upsert(hpa({ maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions.filter((a) => a.verb === 'patch').map((a) => a.patch), [{ spec: { replicas: 1 } }]);
  });

  test('no metrics: FailedGetResourceMetric, ScalingActive False, no rescale', async () => {
    const t = setup(2, { a: -1, b: -1 });
    t.hpas.upsert(hpa());
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.summary(), ['update-status horizontalpodautoscalers default/web']);
    const st = lastStatus(t);
    assert.equal(cond(st, 'ScalingActive').status, 'False');
    assert.equal(cond(st, 'ScalingActive').reason, 'FailedGetResourceMetric');
    assert.ok(t.recorder.events.includes('Warning FailedGetResourceMetric did not receive metrics for targeted pods (pods might be unready)'));
  });

  test('replicas below minReplicas go up to it; a missing target is FailedGetScale', async () => {
    const t = setup(1, { a: 10 });
    t.hpas.upsert(hpa({ minReplicas: 3 }));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions[0]!.patch, { spec: { replicas: 3 } });
    assert.deepEqual(t.recorder.events, ['Normal SuccessfulRescale New size: 3; reason: Current number of replicas below Spec.MinReplicas']);
    t.setTarget(undefined);
    await t.c.reconcile('default/web');
    assert.equal(cond(lastStatus(t), 'AbleToScale').reason, 'FailedGetScale');
  });
});
