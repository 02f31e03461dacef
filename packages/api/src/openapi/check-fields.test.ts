import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFields, checkFieldsForSchema } from './check-fields';

const deployment = (): Record<string, unknown> => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{
          name: 'c', image: 'nginx', ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: '500m', memory: 128 }, requests: { cpu: 0.5 } },
          env: [{ name: 'A', value: 'b' }],
        }],
      },
    },
  },
});

test('a valid Deployment passes', () => {
  assert.deepEqual(checkFields('apps/v1', 'Deployment', deployment()), { unknown: [], typeErrors: [] });
});

test('unknown fields are reported with their paths', () => {
  const d = deployment();
  const spec = d.spec as Record<string, unknown>;
  spec.foo = 1;
  const tmpl = (spec.template as { spec: { containers: Record<string, unknown>[] } }).spec;
  (tmpl.containers[0] as Record<string, unknown>).imagee = 'x';
  (d.metadata as Record<string, unknown>).bogus = true;
  const r = checkFields('apps/v1', 'Deployment', d);
  assert.deepEqual([...r.unknown].sort(), ['metadata.bogus', 'spec.foo', 'spec.template.spec.containers[0].imagee']);
  assert.deepEqual(r.typeErrors, []);
});

test('Pod container typo', () => {
  const r = checkFields('v1', 'Pod', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', imagee: 'nginx' }] } });
  assert.deepEqual(r.unknown, ['spec.containers[0].imagee']);
});

test('wrong types are FieldValueTypeInvalid errors', () => {
  const d = deployment();
  (d.spec as Record<string, unknown>).replicas = '3';
  (d.metadata as Record<string, unknown>).labels = { app: 1 };
  const r = checkFields('apps/v1', 'Deployment', d);
  assert.deepEqual(r.unknown, []);
  const byField = new Map(r.typeErrors.map((e) => [e.field, e]));
  assert.equal(byField.size, 2);
  assert.equal(byField.get('spec.replicas')?.type, 'FieldValueTypeInvalid');
  assert.equal(byField.get('spec.replicas')?.detail, 'Invalid value: "3": must be of type integer');
  assert.equal(byField.get('metadata.labels[app]')?.type, 'FieldValueTypeInvalid');
});

test('more type errors: object for string, string for array, fractional integer, int-or-string', () => {
  const r = checkFields('v1', 'Pod', {
    metadata: { name: { x: 1 }, finalizers: 'a' },
    spec: {
      containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 1.5 }], livenessProbe: { httpGet: { port: true } } }],
      terminationGracePeriodSeconds: 30,
    },
  });
  const fields = r.typeErrors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['metadata.finalizers', 'metadata.name', 'spec.containers[0].livenessProbe.httpGet.port', 'spec.containers[0].ports[0].containerPort']);
  assert.equal(r.typeErrors.find((e) => e.field === 'metadata.name')?.detail, 'Invalid value: "object": must be of type string');
});

test('null values, free-form fields and absent apiVersion/kind/status are fine', () => {
  const r = checkFields('apps/v1', 'ControllerRevision', { metadata: { name: 'x', labels: null, managedFields: [{ fieldsV1: { 'f:a': {} } }] }, data: { anything: [1, { b: 2 }] }, revision: 1 });
  assert.deepEqual(r, { unknown: [], typeErrors: [] });
});

test('Node taints', () => {
  const ok = checkFields('v1', 'Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } });
  assert.deepEqual(ok, { unknown: [], typeErrors: [] });
  const bad = checkFields('v1', 'Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'k', efect: 'NoSchedule' }, 'x'] } });
  assert.deepEqual(bad.unknown, ['spec.taints[0].efect']);
  assert.deepEqual(bad.typeErrors.map((e) => e.field), ['spec.taints[1]']);
});

test('never throws on hostile input', () => {
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 100000; i++) deep = { a: deep };
  const r1 = checkFields('v1', 'ConfigMap', { metadata: { name: 'x' }, data: deep });
  assert.deepEqual(r1.typeErrors.map((e) => e.field), ['data[a]']);
  const big = Array.from({ length: 200000 }, (_, i) => ({ name: `c${i}`, imagee: 'x' }));
  const r2 = checkFields('v1', 'Pod', { spec: { containers: big } });
  assert.equal(r2.unknown.length, 100);
  assert.equal(r2.unknown[0], 'spec.containers[0].imagee');
  assert.deepEqual(checkFields('v1', 'Pod', 'nope').typeErrors.map((e) => e.field), ['<root>']);
  assert.deepEqual(checkFields('v1', 'Pod', JSON.parse('{"__proto__": {"x": 1}, "constructor": 1}')).unknown.sort(), ['__proto__', 'constructor']);
  assert.deepEqual(checkFields('v1', 'Nope', {}), { unknown: [], typeErrors: [] });
  const cyclic: Record<string, unknown> = { metadata: { name: 'x' } };
  (cyclic.metadata as Record<string, unknown>).labels = cyclic;
  assert.doesNotThrow(() => checkFields('v1', 'Pod', cyclic));
  const hostile = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
  assert.doesNotThrow(() => checkFields('v1', 'Pod', { metadata: hostile }));
});

const JSON_SCHEMA_PROPS = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';

test('depth cap reports too deeply nested on recursive schemas', () => {
  let deep: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 10000; i++) deep = { type: 'object', properties: { a: deep } };
  const r = checkFieldsForSchema(JSON_SCHEMA_PROPS, deep);
  assert.deepEqual(r.unknown, []);
  assert.equal(r.typeErrors.length, 1);
  assert.equal(r.typeErrors[0]?.detail, 'Forbidden: too deeply nested');
  assert.ok((r.typeErrors[0]?.field ?? '').startsWith('properties[a].properties[a]'));
  // A shared (DAG) structure is walked once per object, not once per path.
  let dag: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 45; i++) dag = { properties: { a: dag, b: dag } };
  assert.deepEqual(checkFieldsForSchema(JSON_SCHEMA_PROPS, dag), { unknown: [], typeErrors: [] });
});
