import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import {
  endpointSlicePrinter, horizontalPodAutoscalerPrinter, podDisruptionBudgetPrinter, roleBindingPrinter,
} from './api-group-printers';
import { cronJobPrinter, jobPrinter } from './batch-printers';

const now = new Date('2024-05-01T12:00:00Z');
const metadata = { name: 'x', namespace: 'default', creationTimestamp: '2024-05-01T11:00:00Z' };
const obj = (o: object): KObject => o as KObject;

test('job STATUS, COMPLETIONS and DURATION', () => {
  const job = (spec: object, status: object, extra: object = {}): unknown[] =>
    jobPrinter.cells(obj({ metadata: { ...metadata, ...extra }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } }, ...spec }, status }), now);
  assert.deepEqual(job({ completions: 1, parallelism: 1 }, {
    succeeded: 1, startTime: '2024-05-01T11:00:00Z', completionTime: '2024-05-01T11:00:12Z',
    conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }],
  }), ['x', 'Complete', '1/1', '12s', '60m', 'c', 'i', '<none>']);
  assert.deepEqual(job({ completions: 3 }, { succeeded: 1, startTime: '2024-05-01T11:58:00Z' }).slice(1, 4), ['Running', '1/3', '2m']);
  assert.deepEqual(job({ parallelism: 2 }, {}).slice(1, 4), ['Running', '0/1 of 2', '']);
  assert.equal(job({}, { conditions: [{ type: 'Failed', status: 'True' }] })[1], 'Failed');
  assert.equal(job({}, { conditions: [{ type: 'Suspended', status: 'True' }] })[1], 'Suspended');
  assert.equal(job({}, {}, { deletionTimestamp: '2024-05-01T11:59:00Z' })[1], 'Terminating');
});

test('cronjob cells', () => {
  const cj = obj({
    metadata,
    spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } } },
    status: { active: [{ name: 'x-1' }], lastScheduleTime: '2024-05-01T11:55:00Z' },
  });
  assert.deepEqual(cronJobPrinter.cells(cj, now), ['x', '*/5 * * * *', '<none>', 'False', 1, '5m', '60m', 'c', 'i', '<none>']);
});

test('endpointslice PORTS and ENDPOINTS', () => {
  const es = obj({
    metadata, addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }, { addresses: ['10.0.0.3'] }, { addresses: ['10.0.0.4'] }],
  });
  assert.deepEqual(endpointSlicePrinter.cells(es, now), ['x', 'IPv4', '80', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '60m']);
  assert.deepEqual(endpointSlicePrinter.cells(obj({ metadata, addressType: 'IPv4' }), now).slice(2, 4), ['<unset>', '<unset>']);
});

test('pdb and hpa cells', () => {
  const pdb = obj({ metadata, spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } });
  assert.deepEqual(podDisruptionBudgetPrinter.cells(pdb, now), ['x', '50%', 'N/A', 1, '60m']);
  const hpa = obj({
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1024Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
      ],
    },
    status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 35 } } }] },
  });
  assert.deepEqual(horizontalPodAutoscalerPrinter.cells(hpa, now), [
    'x', 'Deployment/web', 'cpu: 35%/80%, memory: <unknown>/1Gi + 1 more...', '1', 5, 2, '60m',
  ]);
});

test('rolebinding ROLE and wide subjects', () => {
  const rb = obj({
    metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [
      { kind: 'User', name: 'alice' }, { kind: 'User', name: 'bob' }, { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'kube-system' },
    ],
  });
  assert.deepEqual(roleBindingPrinter.cells(rb, now), ['x', 'ClusterRole/view', '60m', 'alice, bob', 'devs', 'kube-system/default']);
});
