import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatQuantity } from './quantity';

test('formatQuantity prints canonical quantities', () => {
  const cases: [unknown, string][] = [
    ['1Gi', '1Gi'], ['1024Mi', '1Gi'], ['1536Mi', '1536Mi'], ['500Mi', '500Mi'], ['512', '512'],
    ['1000M', '1G'], ['1500M', '1500M'], ['0.5', '500m'], ['100m', '100m'], ['2', '2'], [2, '2'],
    ['1e3', '1e3'], ['1.5Gi', '1536Mi'], ['0', '0'], ['0Gi', '0'], [undefined, '0'], ['10k', '10k'],
    ['1000', '1k'], ['0.1Ki', '102400m'], ['-1Gi', '-1Gi'],
  ];
  for (const [input, want] of cases) assert.equal(formatQuantity(input), want, String(input));
});
