import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renewalTime, RENEW_AT_FRACTION } from './cert-rotation';

test('renewalTime: at 70% of the lifetime, up to 80% with jitter, clamped', () => {
  const from = Date.parse('2026-01-01T00:00:00Z');
  const to = from + 100_000;
  assert.equal(RENEW_AT_FRACTION, 0.7);
  assert.equal(renewalTime(from, to), from + 70_000);
  assert.equal(renewalTime(from, to, 1), from + 80_000);
  assert.equal(renewalTime(from, to, 0.5), from + 75_000);
  assert.equal(renewalTime(from, to, 7), from + 80_000, 'jitter above 1 is clamped');
  assert.equal(renewalTime(from, to, -1), from + 70_000);
  assert.equal(renewalTime(to, from), to, 'an inverted range renews at once');
});
