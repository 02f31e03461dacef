import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults';
import { validateCreate, validateUpdate } from './index';

const PC = { group: 'scheduling.k8s.io', kind: 'PriorityClass' };
const pc = (name: string, value: number, extra: Record<string, unknown> = {}) =>
  applyDefaults('PriorityClass', 'scheduling.k8s.io/v1', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...extra });
const errs = (e: { field: string; type: string; detail: string }[]) => e.map((x) => `${x.field}: ${x.type}: ${x.detail}`);

test('PriorityClass: defaults preemptionPolicy; user classes up to 1e9', () => {
  assert.equal((pc('a', 1) as { preemptionPolicy?: string }).preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(errs(validateCreate(PC, pc('a', 1_000_000_000, { globalDefault: true, description: 'x' }))), []);
  assert.deepEqual(errs(validateCreate(PC, pc('a', 1_000_000_001))), ['value: FieldValueForbidden: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
  assert.deepEqual(errs(validateCreate(PC, pc('a', -5, { preemptionPolicy: 'Sometimes' }))).map((e) => e.split(':')[0]), ['preemptionPolicy']);
});

test('PriorityClass: system- names only for the built-in classes with their values', () => {
  assert.deepEqual(errs(validateCreate(PC, pc('system-node-critical', 2_000_001_000))), []);
  assert.deepEqual(errs(validateCreate(PC, pc('system-cluster-critical', 2_000_000_000))), []);
  assert.deepEqual(errs(validateCreate(PC, pc('system-mine', 5))), [
    "metadata.name: FieldValueForbidden: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: name system-mine is not a known system priority class",
  ]);
  assert.match(errs(validateCreate(PC, pc('system-node-critical', 7)))[0]!, /value of system-node-critical PriorityClass must be 2000001000/);
});

test('PriorityClass update: value and preemptionPolicy are immutable, globalDefault may change', () => {
  const old = pc('a', 10);
  assert.deepEqual(errs(validateUpdate(PC, { ...old, globalDefault: true }, old)), []);
  assert.deepEqual(errs(validateUpdate(PC, { ...old, value: 11 }, old)), ['value: FieldValueForbidden: Forbidden: may not be changed in an update.']);
  assert.deepEqual(errs(validateUpdate(PC, { ...old, preemptionPolicy: 'Never' }, old)).map((e) => e.split(':')[0]), ['preemptionPolicy']);
});
