import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLabelSelector, formatLabels, labelSelectorString } from './label-format';

test('formatLabels sorts by key and prints <none> when empty', () => {
  assert.equal(formatLabels({ tier: 'web', app: 'x' }), 'app=x,tier=web');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels(undefined), '<none>');
});

test('label selectors print like labels.Selector.String()', () => {
  const sel = {
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['b', 'a'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['z1'] },
      { key: 'canary', operator: 'Exists' },
    ],
  };
  assert.equal(labelSelectorString(sel), 'app=web,canary,!legacy,tier in (a,b),zone notin (z1)');
  assert.equal(labelSelectorString(undefined), '');
  assert.equal(labelSelectorString({}), '');
  assert.equal(labelSelectorString({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), undefined);
  assert.equal(formatLabelSelector({}), '<none>');
  assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), '<error>');
});
