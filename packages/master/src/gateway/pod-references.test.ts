import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podReferences } from './pod-references';
import { containersStopped, microTime } from './node-writes';
import { joinCommand } from './token-command';

test('podReferences finds ConfigMaps, Secrets and claims in volumes, projections, env, envFrom and pull secrets', () => {
  const refs = podReferences({
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      volumes: [
        { name: 'a', configMap: { name: 'cm-vol' } },
        { name: 'b', secret: { secretName: 's-vol' } },
        { name: 'c', projected: { sources: [{ configMap: { name: 'cm-proj' } }, { secret: { name: 's-proj' } }, { downwardAPI: {} }] } },
        { name: 'd', emptyDir: {} },
        { name: 'e', persistentVolumeClaim: { claimName: 'www-web-0' } },
      ],
      initContainers: [{ name: 'i', envFrom: [{ configMapRef: { name: 'cm-from' } }, { secretRef: { name: 's-from' } }] }],
      containers: [{ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-key', key: 'k' } } }, { name: 'Y', valueFrom: { secretKeyRef: { name: 's-key', key: 'k' } } }, { name: 'Z', value: 'z' }] }],
      imagePullSecrets: [{ name: 'pull' }],
    },
  });
  assert.deepEqual([...refs].sort(), [
    'configmap/ns/cm-from', 'configmap/ns/cm-key', 'configmap/ns/cm-proj', 'configmap/ns/cm-vol',
    'pvc/ns/www-web-0', 'secret/ns/pull', 'secret/ns/s-from', 'secret/ns/s-key', 'secret/ns/s-proj', 'secret/ns/s-vol',
  ]);
});

test('containersStopped: only when no container, init or app, is running', () => {
  assert.equal(containersStopped({ containerStatuses: [{ state: { running: {} } }] }), false);
  assert.equal(containersStopped({ initContainerStatuses: [{ state: { terminated: {} } }], containerStatuses: [{ state: { waiting: {} } }, { state: { terminated: {} } }] }), true);
  assert.equal(containersStopped({}), true);
  assert.equal(containersStopped(undefined), false);
});

test('microTime has microseconds; joinCommand brackets IPv6', () => {
  assert.equal(microTime(new Date('2024-01-02T03:04:05.678Z')), '2024-01-02T03:04:05.678000Z');
  assert.equal(joinCommand('fd00::1', 9443, 'abcdef.0123456789abcdef', 'sha256:00'), 'skiff-agent --join [fd00::1]:9443 --token abcdef.0123456789abcdef --ca-hash sha256:00');
});
