import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findByKind, type KObject } from '@skiff/api';
import { buildTable } from './index';

test('PriorityClass table: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY', () => {
  const pc: KObject = { metadata: { name: 'high', creationTimestamp: '2024-05-01T11:00:00Z' }, value: 1000, globalDefault: true, preemptionPolicy: 'Never' } as KObject;
  const t = buildTable(findByKind('scheduling.k8s.io/v1', 'PriorityClass')!, [pc], { now: new Date('2024-05-01T12:00:00Z') });
  assert.deepEqual(t.columnDefinitions!.map((c) => `${c.name}/${c.type}`), ['Name/string', 'Value/integer', 'Global-Default/boolean', 'Age/string', 'PreemptionPolicy/string']);
  assert.deepEqual(t.rows[0]!.cells, ['high', 1000, true, '60m', 'Never']);
});
