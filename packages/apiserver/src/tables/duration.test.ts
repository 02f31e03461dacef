import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseTime, translateTimestampSince } from './duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('humanDuration matches duration.HumanDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'], [5 * S, '5s'], [119 * S + 999, '119s'], [2 * M, '2m'], [2 * M + 3 * S, '2m3s'],
    [9 * M + 59 * S, '9m59s'], [10 * M + 30 * S, '10m'], [179 * M, '179m'], [3 * H, '3h'],
    [3 * H + 2 * M, '3h2m'], [7 * H + 59 * M, '7h59m'], [8 * H + 30 * M, '8h'], [47 * H, '47h'],
    [48 * H, '2d'], [2 * D + 3 * H, '2d3h'], [7 * D + 23 * H, '7d23h'], [8 * D + 5 * H, '8d'],
    [729 * D, '729d'], [730 * D, '2y'], [733 * D, '2y3d'], [8 * 365 * D + 40 * D, '8y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('humanDuration tolerates up to a second of clock skew, then is <invalid>', () => {
  assert.equal(humanDuration(-500), '0s');
  assert.equal(humanDuration(-1999), '0s');
  assert.equal(humanDuration(-2000), '<invalid>');
});

test('translateTimestampSince', () => {
  const now = new Date('2024-05-01T12:00:00Z');
  assert.equal(translateTimestampSince('2024-05-01T11:55:00Z', now), '5m');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(translateTimestampSince('2024-05-01T12:00:10Z', now), '<invalid>');
  // MicroTime carries microseconds.
  assert.equal(translateTimestampSince('2024-05-01T11:59:30.123456Z', now), '29s');
  assert.equal(parseTime('not a time'), undefined);
});
