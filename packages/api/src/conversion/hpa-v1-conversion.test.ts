import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../object';
import { findByKind, SERVED_BY_CONVERSION, findServedByPlural, groupVersions } from '../resources';
import {
  hpaV1ToV2, hpaV2ToV1, HPA_BEHAVIOR_ANNOTATION, HPA_CONDITIONS_ANNOTATION, HPA_METRIC_SPECS_ANNOTATION, HPA_METRIC_STATUSES_ANNOTATION,
} from './hpa-v1-conversion';
import { ConversionError } from './conversion-error';
import { converterFor, storageInfoOf } from './version-converters';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

function v1(): KObject {
  return {
    apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 },
    status: { observedGeneration: 2, currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 71, lastScaleTime: '2026-01-01T00:00:00Z' },
  };
}

function richV2(): KObject {
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', annotations: { owner: 'team-a' } },
    spec: {
      scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '200Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'Object', object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'web' }, metric: { name: 'hits', selector: { matchLabels: { a: 'b' } } }, target: { type: 'Value', value: '100' } } },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
        { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization', averageUtilization: 70 } } },
      ],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
    },
    status: {
      currentReplicas: 3, desiredReplicas: 4,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '450m' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '12' } } },
      ],
      conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'ok', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    },
  };
}

test('v1 -> v2 turns the CPU target into a Resource metric and back without loss', () => {
  const v2 = hpaV1ToV2(v1());
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.deepEqual(v2.spec, {
    scaleTargetRef: ref, minReplicas: 1, maxReplicas: 3,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
  });
  assert.deepEqual(v2.status, {
    observedGeneration: 2, currentReplicas: 2, desiredReplicas: 3, lastScaleTime: '2026-01-01T00:00:00Z',
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 71 } } }],
  });
  const back = hpaV2ToV1(v2);
  // The status annotation keeps the raw current metrics (as Kubernetes does); the rest is what was sent.
  const annotations = back.metadata.annotations ?? {};
  assert.ok(annotations[HPA_METRIC_STATUSES_ANNOTATION]);
  delete back.metadata.annotations;
  assert.deepEqual(back, v1());
});

test('v1 without a target becomes the explicit 80% CPU default', () => {
  const o = v1();
  delete (o.spec as Record<string, unknown>).targetCPUUtilizationPercentage;
  const v2 = hpaV1ToV2(o);
  assert.deepEqual((v2.spec as { metrics: unknown }).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
});

test('v2 -> v1 keeps what v1 cannot say in annotations, and v1 -> v2 restores it exactly', () => {
  const original = richV2();
  const asV1 = hpaV2ToV1(original);
  assert.equal(asV1.apiVersion, 'autoscaling/v1');
  assert.deepEqual(asV1.spec, { scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 60 });
  assert.deepEqual(asV1.status, { currentReplicas: 3, desiredReplicas: 4, currentCPUUtilizationPercentage: 90 });
  const a = asV1.metadata.annotations ?? {};
  assert.equal(a.owner, 'team-a');
  // v1 MetricSpec shape (flat target fields), as Kubernetes writes it.
  const others = JSON.parse(a[HPA_METRIC_SPECS_ANNOTATION] ?? '[]') as unknown[];
  assert.equal(others.length, 5);
  assert.deepEqual(others[0], { type: 'Resource', resource: { name: 'memory', targetAverageValue: '200Mi' } });
  assert.deepEqual(others[1], { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } });
  assert.deepEqual(others[2], { type: 'Object', object: { target: { apiVersion: 'v1', kind: 'Service', name: 'web' }, metricName: 'hits', targetValue: '100', selector: { matchLabels: { a: 'b' } } } });
  assert.deepEqual(others[3], { type: 'External', external: { metricName: 'queue', targetAverageValue: '30' } });
  assert.deepEqual(others[4], { type: 'ContainerResource', containerResource: { name: 'cpu', targetAverageUtilization: 70, container: 'app' } });
  assert.deepEqual(JSON.parse(a[HPA_BEHAVIOR_ANNOTATION] ?? 'null'), (original.spec as { behavior: unknown }).behavior);
  assert.deepEqual(JSON.parse(a[HPA_CONDITIONS_ANNOTATION] ?? 'null'), (original.status as { conditions: unknown }).conditions);
  assert.deepEqual(JSON.parse(a[HPA_METRIC_STATUSES_ANNOTATION] ?? 'null'), [
    { type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 90, currentAverageValue: '450m' } },
    { type: 'Pods', pods: { metricName: 'qps', currentAverageValue: '12' } },
  ]);

  assert.deepEqual(hpaV1ToV2(asV1), original);
  // The input is not changed.
  assert.deepEqual(original, richV2());
});

test('an update through v1 keeps v2-only data and applies what v1 changed', () => {
  const asV1 = hpaV2ToV1(richV2());
  (asV1.spec as Record<string, unknown>).maxReplicas = 20;
  (asV1.spec as Record<string, unknown>).targetCPUUtilizationPercentage = 40;
  const v2 = hpaV1ToV2(asV1);
  const spec = v2.spec as { maxReplicas: number; metrics: unknown[]; behavior: unknown };
  assert.equal(spec.maxReplicas, 20);
  assert.deepEqual(spec.metrics[0], { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 40 } } });
  assert.deepEqual(spec.metrics.slice(1), (richV2().spec as { metrics: unknown[] }).metrics.slice(1));
  assert.deepEqual(spec.behavior, (richV2().spec as { behavior: unknown }).behavior);
  assert.deepEqual(v2.metadata.annotations, { owner: 'team-a' });
});

test('dropping the v1 CPU target keeps the other metrics and adds no default', () => {
  const asV1 = hpaV2ToV1(richV2());
  delete (asV1.spec as Record<string, unknown>).targetCPUUtilizationPercentage;
  const metrics = (hpaV1ToV2(asV1).spec as { metrics: { type: string }[] }).metrics;
  assert.deepEqual(metrics.map((m) => m.type), ['Resource', 'Pods', 'Object', 'External', 'ContainerResource']);
});

test('a broken round-trip annotation is a ConversionError naming the field', () => {
  const o = v1();
  o.metadata.annotations = { [HPA_METRIC_SPECS_ANNOTATION]: '{not json' };
  assert.throws(() => hpaV1ToV2(o), (e: unknown) => e instanceof ConversionError && e.field === `metadata.annotations[${HPA_METRIC_SPECS_ANNOTATION}]`);
  o.metadata.annotations = { [HPA_CONDITIONS_ANNOTATION]: '{"a":1}' };
  assert.throws(() => hpaV1ToV2(o), ConversionError);
});

test('the catalogue serves autoscaling/v1 HPAs by conversion, v2 preferred', () => {
  const served = findServedByPlural('autoscaling', 'v1', 'horizontalpodautoscalers');
  assert.ok(served);
  assert.equal(served.storageVersion, 'v2');
  assert.ok(SERVED_BY_CONVERSION.includes(served));
  assert.equal(storageInfoOf(served), findByKind('autoscaling/v2', 'HorizontalPodAutoscaler'));
  assert.equal(converterFor(served)?.storageApiVersion, 'autoscaling/v2');
  assert.equal(converterFor(storageInfoOf(served)), undefined);
  const versions = groupVersions().filter((g) => g.group === 'autoscaling').map((g) => g.version);
  assert.deepEqual(versions, ['v2', 'v1']);
});
