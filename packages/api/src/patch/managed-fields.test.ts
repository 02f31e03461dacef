import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet } from './field-set';
import { decodeManagedFields, encodeManagedFields, formatTime, updateManagedFields, type ManagedFieldsEntry } from './managed-fields';
import { deploymentMeta, podMeta } from './patch-meta-builder';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:01:00Z';

function pod(labels: Record<string, string> = { app: 'web' }, image = 'nginx:1'): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '1', creationTimestamp: T0, labels },
    spec: { containers: [{ name: 'c', image }] },
  };
}

function update(before: Record<string, any> | undefined, after: Record<string, any>, manager: string, now = T1, extra: { subresource?: string } = {}) {
  return updateManagedFields({ before, after, manager, apiVersion: 'v1', meta: podMeta, now, ...extra });
}

function setOf(entries: ManagedFieldsEntry[], manager: string): FieldSet {
  const e = entries.find((x) => x.manager === manager);
  return e ? FieldSet.fromFieldsV1(e.fieldsV1) : new FieldSet();
}

const IMAGE = ['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'];

describe('updateManagedFields', () => {
  it('a create gives every field to the manager, with "." for objects and items it created', () => {
    const { object, managedFields } = update(undefined, pod(), 'kubectl-create', T0);
    assert.equal(managedFields.length, 1);
    const [e] = managedFields;
    assert.deepEqual({ ...e, fieldsV1: undefined }, { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: undefined });
    assert.equal(JSON.stringify(e?.fieldsV1), JSON.stringify({
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { '.': {}, 'f:containers': { '.': {}, 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
    }));
    assert.deepEqual(object.metadata.managedFields, managedFields);
    assert.equal(object.metadata.uid, 'u');
  });

  it('a write takes the changed fields from other managers', () => {
    const created = update(undefined, pod(), 'kubectl-create', T0).object;
    const changed = structuredClone(created);
    changed.spec.containers[0].image = 'nginx:2';
    const { managedFields } = update(created, changed, 'kubectl-set');
    assert.ok(setOf(managedFields, 'kubectl-set').has(IMAGE));
    assert.ok(!setOf(managedFields, 'kubectl-create').has(IMAGE));
    assert.ok(setOf(managedFields, 'kubectl-create').has(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:name']));
    assert.deepEqual(managedFields.map((x) => [x.manager, x.time]), [['kubectl-create', T0], ['kubectl-set', T1]]);
  });

  it('removed fields leave every manager', () => {
    const created = update(undefined, pod({ app: 'web', tier: 'front' }), 'kubectl-create', T0).object;
    const unlabelled = structuredClone(created);
    delete unlabelled.metadata.labels.tier;
    const { managedFields } = update(created, unlabelled, 'kubectl-label');
    assert.ok(!setOf(managedFields, 'kubectl-create').has(['f:metadata', 'f:labels', 'f:tier']));
    assert.equal(managedFields.some((x) => x.manager === 'kubectl-label'), false, 'a pure removal gains nothing');
  });

  it('unions with the earlier fields of the same manager and refreshes its time only when it gains fields', () => {
    const created = update(undefined, pod(), 'm', T0).object;
    const same = update(created, structuredClone(created), 'm', T1);
    assert.equal(same.managedFields[0]?.time, T0);
    const labelled = structuredClone(created);
    labelled.metadata.labels.x = 'y';
    const more = update(created, labelled, 'm', T1);
    assert.equal(more.managedFields.length, 1);
    assert.equal(more.managedFields[0]?.time, T1);
    assert.ok(setOf(more.managedFields, 'm').has(['f:metadata', 'f:labels', 'f:x']));
    assert.ok(setOf(more.managedFields, 'm').has(IMAGE));
  });

  it('does not start tracking an existing object that has no managed fields', () => {
    const before = pod();
    const after = pod({ app: 'web', x: 'y' });
    const out = update(before, after, 'kubectl-label');
    assert.deepEqual(out.managedFields, []);
    assert.equal(out.object.metadata.managedFields, undefined);
  });

  it('managed fields in the new object replace the old ones; [{}] clears them', () => {
    const created = update(undefined, pod(), 'kubectl-create', T0).object;
    const edited = structuredClone(created);
    edited.metadata.managedFields = [{ manager: 'someone', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:containers': {} } } }];
    const out = update(created, edited, 'kubectl-edit');
    assert.deepEqual(out.managedFields.map((x) => x.manager), ['someone']);
    const cleared = structuredClone(created);
    cleared.metadata.managedFields = [{}];
    const none = update(created, cleared, 'kubectl-edit');
    assert.deepEqual(none.managedFields, []);
    assert.equal(none.object.metadata.managedFields, undefined);
  });

  it('a subresource write is a separate entry and ignores managed fields in the body', () => {
    const created = update(undefined, pod(), 'kubectl-create', T0).object;
    const withStatus = structuredClone(created);
    withStatus.status = { phase: 'Running' };
    withStatus.metadata.managedFields = [{}];
    const out = update(created, withStatus, 'kubectl-create', T1, { subresource: 'status' });
    const status = out.managedFields.find((x) => x.subresource === 'status');
    assert.deepEqual(status, { manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { '.': {}, 'f:phase': {} } }, subresource: 'status' });
    assert.equal(out.managedFields.length, 2);
  });

  it('ignored fields are never owned', () => {
    const withStatus = { ...pod(), status: { phase: 'Pending' } };
    const out = updateManagedFields({ before: undefined, after: withStatus, manager: 'm', apiVersion: 'v1', meta: podMeta, now: T0, ignoredFields: [['status']] });
    assert.equal(setOf(out.managedFields, 'm').child('f:status'), undefined);
  });

  it('keeps at most 10 Update managers, merging the oldest into ancient-changes', () => {
    let obj = update(undefined, pod(), 'creator', '2024-01-01T00:00:00Z').object;
    for (let i = 0; i < 11; i++) {
      const next = structuredClone(obj);
      next.metadata.labels[`l${i}`] = 'v';
      obj = update(obj, next, `m${i}`, `2024-01-01T01:${String(i).padStart(2, '0')}:00Z`).object;
    }
    const entries = obj.metadata.managedFields as ManagedFieldsEntry[];
    assert.equal(entries.length, 10);
    const ancient = entries.find((x) => x.manager === 'ancient-changes');
    assert.ok(ancient);
    const s = FieldSet.fromFieldsV1(ancient.fieldsV1);
    assert.ok(s.has(IMAGE), 'the creator was merged in');
    assert.ok(s.has(['f:metadata', 'f:labels', 'f:l0']));
    assert.ok(s.has(['f:metadata', 'f:labels', 'f:l1']));
    assert.equal(entries.some((x) => x.manager === 'creator' || x.manager === 'm0' || x.manager === 'm1'), false);
  });

  it('clears managed fields instead of failing when they cannot be computed', () => {
    const created = update(undefined, pod(), 'kubectl-create', T0).object;
    const broken = structuredClone(created);
    broken.spec.containers.push({ image: 'no-name' });
    const out = update(created, broken, 'x');
    assert.deepEqual(out.managedFields, []);
    assert.deepEqual(out.object.spec.containers[1], { image: 'no-name' });
  });

  it('works with the deployment schema (atomic selector)', () => {
    const d = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const out = updateManagedFields({ before: undefined, after: d, manager: 'kubectl-create', apiVersion: 'apps/v1', meta: deploymentMeta, now: T0 });
    const s = setOf(out.managedFields, 'kubectl-create');
    assert.ok(s.has(['f:spec', 'f:selector']));
    assert.equal(s.child('f:spec')?.child('f:selector'), undefined);
  });
});

describe('managed fields encoding', () => {
  it('sorts Apply entries first, then by time and manager', () => {
    const managers = decodeManagedFields([
      { manager: 'z', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:a': {} } },
      { manager: 'b', operation: 'Update', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:b': {} } },
      { manager: 'a', operation: 'Update', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:c': {} } },
      { manager: 'y', operation: 'Apply', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: { 'f:d': {} } },
      { manager: 'empty', operation: 'Apply', apiVersion: 'v1', time: T1, fieldsType: 'FieldsV1', fieldsV1: {} },
    ]);
    assert.deepEqual(encodeManagedFields(managers).map((e) => e.manager), ['y', 'z', 'a', 'b']);
  });

  it('rejects malformed entries', () => {
    assert.throws(() => decodeManagedFields([{ manager: 'x', operation: 'Patch' }]));
    assert.throws(() => decodeManagedFields([{ manager: 'x', operation: 'Update', fieldsType: 'FieldsV2' }]));
    assert.throws(() => decodeManagedFields({}));
  });

  it('formats times as RFC 3339 seconds', () => {
    assert.equal(formatTime(new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 123))), '2024-05-01T10:00:00Z');
    assert.equal(formatTime(T0), T0);
  });
});
