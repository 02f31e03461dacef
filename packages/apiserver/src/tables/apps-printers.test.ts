import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { controllerRevisionPrinter, daemonSetPrinter, deploymentPrinter, replicaSetPrinter, statefulSetPrinter } from './apps-printers';

const now = new Date('2024-05-01T12:00:00Z');
const metadata = { name: 'web', namespace: 'default', creationTimestamp: '2024-04-30T12:00:00Z' };
const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'sidecar', image: 'busybox' }] },
};
const obj = (o: object): KObject => o as KObject;

test('deployment READY, UP-TO-DATE, AVAILABLE and wide columns', () => {
  const d = obj({
    metadata,
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] }, template },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  assert.deepEqual(deploymentPrinter.cells(d, now), ['web', '2/3', 3, 2, '24h', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web,track notin (canary)']);
  assert.deepEqual(deploymentPrinter.columns.map((c) => [c.name, c.type, c.priority]), [
    ['Name', 'string', 0], ['Ready', 'string', 0], ['Up-to-date', 'string', 0], ['Available', 'string', 0],
    ['Age', 'string', 0], ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1],
  ]);
  // A fresh deployment with no status yet; replicas defaults to 1.
  assert.deepEqual(deploymentPrinter.cells(obj({ metadata, spec: { template } }), now).slice(0, 4), ['web', '0/1', 0, 0]);
});

test('replicaset, daemonset and statefulset counts', () => {
  const rs = obj({ metadata, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2, readyReplicas: 1 } });
  assert.deepEqual(replicaSetPrinter.cells(rs, now), ['web', 2, 2, 1, '24h', 'nginx,sidecar', 'nginx:1.27,busybox', 'app=web']);
  const ds = obj({
    metadata, spec: { selector: { matchLabels: { app: 'web' } }, template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  });
  assert.deepEqual(daemonSetPrinter.cells(ds, now).slice(0, 8), ['web', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '24h']);
  const sts = obj({ metadata, spec: { replicas: 3, template }, status: { readyReplicas: 3 } });
  assert.deepEqual(statefulSetPrinter.cells(sts, now), ['web', '3/3', '24h', 'nginx,sidecar', 'nginx:1.27,busybox']);
});

test('controllerrevision CONTROLLER is kind.group/name', () => {
  const cr = obj({
    metadata: { ...metadata, name: 'web-5d4f', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true }] },
    revision: 2,
  });
  assert.deepEqual(controllerRevisionPrinter.cells(cr, now), ['web-5d4f', 'daemonset.apps/web', 2, '24h']);
  assert.equal(controllerRevisionPrinter.cells(obj({ metadata, revision: 1 }), now)[1], '<none>');
});
