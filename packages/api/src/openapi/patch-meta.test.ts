import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchMetaFor, patchMetaForSchema } from './patch-meta';
import { schemaNameFor } from './schemas';

test('schemaNameFor maps GVKs to Kubernetes component names', () => {
  assert.equal(schemaNameFor('v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
  assert.equal(schemaNameFor('apps/v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(schemaNameFor('autoscaling/v1', 'Scale'), 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(schemaNameFor('policy/v1', 'Eviction'), 'io.k8s.api.policy.v1.Eviction');
  assert.equal(schemaNameFor('v1', 'Binding'), 'io.k8s.api.core.v1.Binding');
  assert.equal(schemaNameFor('v1', 'Status'), 'io.k8s.apimachinery.pkg.apis.meta.v1.Status');
  assert.equal(schemaNameFor('apps/v1', 'DeleteOptions'), 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(schemaNameFor('v1', 'Nope'), undefined);
  assert.equal(schemaNameFor('apps/v1', 'Pod'), undefined);
});

test('Pod: containers merge by name, ports by containerPort, tolerations atomic', () => {
  const pod = patchMetaFor('v1', 'Pod');
  assert.ok(pod);
  assert.equal(pod.type, 'object');
  const spec = pod.field('spec');
  assert.equal(spec?.type, 'object');
  const containers = spec?.field('containers');
  assert.equal(containers?.type, 'array');
  assert.equal(containers?.patchStrategy, 'merge');
  assert.equal(containers?.patchMergeKey, 'name');
  assert.equal(containers?.listType, 'map');
  assert.deepEqual(containers?.listMapKeys, ['name']);
  const ports = containers?.items()?.field('ports');
  assert.equal(ports?.patchStrategy, 'merge');
  assert.equal(ports?.patchMergeKey, 'containerPort');
  assert.deepEqual(ports?.listMapKeys, ['containerPort', 'protocol']);
  assert.equal(ports?.items()?.field('containerPort')?.type, 'integer');
  const env = containers?.items()?.field('env');
  assert.equal(env?.patchMergeKey, 'name');
  assert.equal(containers?.items()?.field('volumeMounts')?.patchMergeKey, 'mountPath');
  assert.equal(containers?.items()?.field('envFrom')?.listType, 'atomic');
  const tolerations = spec?.field('tolerations');
  assert.equal(tolerations?.patchMergeKey, undefined);
  assert.equal(tolerations?.patchStrategy, undefined);
  assert.equal(tolerations?.listType, 'atomic');
  const volumes = spec?.field('volumes');
  assert.equal(volumes?.patchStrategy, 'merge,retainKeys');
  assert.equal(spec?.field('nodeSelector')?.mapType, 'atomic');
  assert.equal(spec?.field('nope'), undefined);
  assert.equal(pod.field('status')?.field('conditions')?.patchMergeKey, 'type');
  assert.equal(pod.field('status')?.field('containerStatuses')?.listType, 'atomic');
});

test('maps, quantities and int-or-string', () => {
  const pod = patchMetaFor('v1', 'Pod');
  const labels = pod?.field('metadata')?.field('labels');
  assert.equal(labels?.type, 'object');
  assert.equal(labels?.field('app')?.type, 'string');
  assert.equal(labels?.field('__proto__')?.type, 'string');
  assert.equal(pod?.field('metadata')?.field('__proto__'), undefined);
  const limits = pod?.field('spec')?.field('containers')?.items()?.field('resources')?.field('limits');
  assert.equal(limits?.field('cpu')?.type, 'quantity');
  const meta = pod?.field('metadata');
  assert.equal(meta?.field('finalizers')?.listType, 'set');
  assert.equal(meta?.field('finalizers')?.patchStrategy, 'merge');
  assert.equal(meta?.field('ownerReferences')?.patchMergeKey, 'uid');
  assert.equal(meta?.field('ownerReferences')?.items()?.mapType, 'atomic');
  const svc = patchMetaFor('v1', 'Service');
  const ports = svc?.field('spec')?.field('ports');
  assert.equal(ports?.patchMergeKey, 'port');
  assert.deepEqual(ports?.listMapKeys, ['port', 'protocol']);
  assert.equal(ports?.items()?.field('targetPort')?.type, 'int-or-string');
  assert.equal(svc?.field('spec')?.field('clusterIPs')?.listType, 'atomic');
  assert.equal(patchMetaForSchema('io.k8s.api.core.v1.PodSpec')?.field('hostAliases')?.patchMergeKey, 'ip');
});

test('Deployment: template containers and strategy', () => {
  const d = patchMetaFor('apps/v1', 'Deployment');
  const spec = d?.field('spec');
  assert.equal(spec?.field('replicas')?.type, 'integer');
  assert.equal(spec?.field('strategy')?.patchStrategy, 'retainKeys');
  const containers = spec?.field('template')?.field('spec')?.field('containers');
  assert.equal(containers?.patchStrategy, 'merge');
  assert.equal(containers?.patchMergeKey, 'name');
  assert.equal(d?.field('status')?.field('conditions')?.patchMergeKey, 'type');
  assert.equal(spec?.field('strategy')?.field('rollingUpdate')?.field('maxSurge')?.type, 'int-or-string');
});

test('Node taints have no merge key', () => {
  const taints = patchMetaFor('v1', 'Node')?.field('spec')?.field('taints');
  assert.equal(taints?.type, 'array');
  assert.equal(taints?.patchMergeKey, undefined);
  assert.equal(taints?.listType, 'atomic');
  assert.equal(taints?.items()?.field('effect')?.type, 'string');
});

test('unknown kinds', () => {
  assert.equal(patchMetaFor('v1', 'Nope'), undefined);
});
