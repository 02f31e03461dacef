import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, type KObject, type ResourceInfo } from '@skiff/api';
import { buildTable } from './index';

const now = new Date('2024-05-01T12:00:00Z');
const info = (plural: string): ResourceInfo => {
  const r = RESOURCES.find((x) => x.plural === plural);
  if (!r) throw new Error(plural);
  return r;
};
const cm: KObject = {
  metadata: { name: 'settings', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: '2024-05-01T11:59:00Z', labels: { app: 'x' } },
  data: { a: '1' },
};

test('a Table with PartialObjectMetadata rows by default', () => {
  const t = buildTable(info('configmaps'), [cm], { now, resourceVersion: '12' });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '12' });
  assert.deepEqual(t.columnDefinitions?.[0], {
    name: 'Name', type: 'string', format: 'name',
    description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
    priority: 0,
  });
  assert.deepEqual(t.columnDefinitions?.map((c) => c.name), ['Name', 'Data', 'Age']);
  assert.deepEqual(t.rows, [{
    cells: ['settings', 1, '60s'],
    object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cm.metadata },
  }]);
});

test('includeObject=Object carries the full object with kind and apiVersion; None drops it', () => {
  const full = buildTable(info('configmaps'), [cm], { now, includeObject: 'Object' });
  assert.deepEqual(full.rows[0]?.object, { ...cm, apiVersion: 'v1', kind: 'ConfigMap' });
  const deploy = buildTable(info('deployments'), [{ metadata: { name: 'd' } }], { now, includeObject: 'Object' });
  assert.deepEqual(deploy.rows[0]?.object, { metadata: { name: 'd' }, apiVersion: 'apps/v1', kind: 'Deployment' });
  const none = buildTable(info('configmaps'), [cm], { now, includeObject: 'None' });
  assert.equal(none.rows[0]?.object, undefined);
  assert.equal('object' in (none.rows[0] ?? {}), false);
});

test('omitHeaders and list metadata', () => {
  const t = buildTable(info('pods'), [], { now, omitHeaders: true, resourceVersion: '5', continueToken: 'abc' });
  assert.equal(t.columnDefinitions, null);
  assert.deepEqual(t.rows, []);
  assert.deepEqual(t.metadata, { resourceVersion: '5', continue: 'abc' });
});

test('kinds without a printer get NAME and CREATED AT', () => {
  for (const plural of ['limitranges', 'roles', 'clusterroles']) {
    const t = buildTable(info(plural), [{ metadata: { name: 'r', creationTimestamp: '2024-05-01T11:00:00Z' } }], { now });
    assert.deepEqual(t.columnDefinitions?.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
    assert.deepEqual(t.rows[0]?.cells, ['r', '2024-05-01T11:00:00Z']);
  }
  const unknown = { ...info('roles'), group: 'example.com', kind: 'Widget' };
  assert.deepEqual(buildTable(unknown, [{ metadata: { name: 'w' } }], { now }).rows[0]?.cells, ['w', '0001-01-01T00:00:00Z']);
});

test('every served resource has a table with a Name column', () => {
  for (const r of RESOURCES) {
    const t = buildTable(r, [{ metadata: { name: 'n' } }], { now });
    const cols = t.columnDefinitions ?? [];
    assert.ok(cols.some((c) => c.format === 'name'), r.plural);
    assert.equal(t.rows[0]?.cells.length, cols.length, r.plural);
  }
});

test('pod rows carry the Completed condition', () => {
  const t = buildTable(info('pods'), [{ metadata: { name: 'p' }, status: { phase: 'Failed' } }], { now });
  assert.deepEqual(t.rows[0]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
});
