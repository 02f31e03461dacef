import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CronScheduleError } from '@skiff/api';
import { compileSchedule, mostRecentScheduleTime, wallClock, zonedDate } from './cron-schedule-times';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (schedule: string, after: string, tz = 'UTC', timeZone?: string) => iso(compileSchedule(schedule, timeZone, tz).next(at(after)));
const nextN = (schedule: string, after: string, n: number, timeZone = 'UTC') => {
  const z = compileSchedule(schedule, timeZone);
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < n; i++) { t = z.next(t)!; out.push(new Date(t).toISOString()); }
  return out;
};

describe('nextCronTime (UTC)', () => {
  test('steps, ranges and lists', () => {
    assert.equal(next('*/15 * * * *', '2024-01-01T00:07:30Z'), '2024-01-01T00:15:00.000Z');
    assert.equal(next('*/15 * * * *', '2024-01-01T00:15:00Z'), '2024-01-01T00:30:00.000Z', 'strictly after');
    assert.equal(next('*/15 * * * *', '2024-01-01T00:45:00.500Z'), '2024-01-01T01:00:00.000Z');
    assert.deepEqual(nextN('1-5/2,30 * * * *', '2024-01-01T00:00:00Z', 5), [
      '2024-01-01T00:01:00.000Z', '2024-01-01T00:03:00.000Z', '2024-01-01T00:05:00.000Z', '2024-01-01T00:30:00.000Z', '2024-01-01T01:01:00.000Z',
    ]);
    assert.equal(next('0 0 1 1 *', '2024-06-15T12:00:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('59 23 31 12 *', '2024-12-31T23:59:00Z'), '2025-12-31T23:59:00.000Z');
  });

  test('month and weekday names, weekday ranges', () => {
    // 2024-01-05 is a Friday.
    assert.equal(next('0 9 * * mon-fri', '2024-01-05T10:00:00Z'), '2024-01-08T09:00:00.000Z');
    assert.equal(next('0 0 * JUL sun', '2024-01-01T00:00:00Z'), '2024-07-07T00:00:00.000Z');
    assert.equal(next('0 12 * feb,aug *', '2024-03-01T00:00:00Z'), '2024-08-01T12:00:00.000Z');
  });

  test('day of month OR day of week when both are restricted, AND when one is *', () => {
    // the 13th or any Friday: 2024-09-06 is a Friday, 2024-09-13 a Friday the 13th.
    assert.deepEqual(nextN('0 0 13 * 5', '2024-09-01T00:00:00Z', 3), ['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z', '2024-09-20T00:00:00.000Z']);
    assert.deepEqual(nextN('0 0 13 * 1', '2024-09-10T00:00:00Z', 2), ['2024-09-13T00:00:00.000Z', '2024-09-16T00:00:00.000Z']);
    assert.equal(next('0 0 * * 1', '2024-09-10T00:00:00Z'), '2024-09-16T00:00:00.000Z');
    assert.equal(next('0 0 29 2 *', '2024-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  });

  test('macros', () => {
    assert.equal(next('@hourly', '2024-01-01T10:20:00Z'), '2024-01-01T11:00:00.000Z');
    assert.equal(next('@daily', '2024-01-01T10:20:00Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('@midnight', '2024-01-01T10:20:00Z'), '2024-01-02T00:00:00.000Z');
    assert.equal(next('@weekly', '2024-01-01T10:20:00Z'), '2024-01-07T00:00:00.000Z');
    assert.equal(next('@monthly', '2024-01-15T00:00:00Z'), '2024-02-01T00:00:00.000Z');
    assert.equal(next('@yearly', '2024-01-15T00:00:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@annually', '2024-01-15T00:00:00Z'), '2025-01-01T00:00:00.000Z');
    assert.equal(next('@every 90s', '2024-01-01T00:00:00.700Z'), '2024-01-01T00:01:30.000Z');
  });

  test('a schedule that never fires has no next time', () => {
    assert.equal(next('0 0 30 2 *', '2024-01-01T00:00:00Z'), undefined);
  });

  test('bad schedules and zones throw CronScheduleError with the parser message', () => {
    assert.throws(() => compileSchedule('* * * *', undefined), (e: Error) => e instanceof CronScheduleError && /expected exactly 5 fields/.test(e.message));
    assert.throws(() => compileSchedule('61 * * * *', undefined), /above maximum/);
    assert.throws(() => compileSchedule('@fortnightly', undefined), /unrecognized descriptor/);
    assert.throws(() => compileSchedule('* * * * *', 'Mars/Olympus'), /unknown time zone/);
  });
});

describe('nextCronTime in IANA zones (DST)', () => {
  const NY = 'America/New_York';

  test('wall clock and Go time.Date semantics around the jumps', () => {
    assert.deepEqual(wallClock(at('2024-07-01T13:00:00Z'), NY), { year: 2024, month: 7, day: 1, hour: 9, minute: 0, second: 0, weekday: 1 });
    // 02:30 does not exist on 2024-03-10 in New York: resolves as 01:30 EST.
    assert.equal(iso(zonedDate(NY, 2024, 3, 10, 2, 30)), '2024-03-10T06:30:00.000Z');
    // 01:30 happens twice on 2024-11-03: the first (EDT).
    assert.equal(iso(zonedDate(NY, 2024, 11, 3, 1, 30)), '2024-11-03T05:30:00.000Z');
    // overflowing fields roll over
    assert.equal(iso(zonedDate('UTC', 2024, 13, 32)), '2025-02-01T00:00:00.000Z');
  });

  test('a time skipped by spring forward does not fire that day', () => {
    assert.deepEqual(nextN('30 2 * * *', '2024-03-09T12:00:00Z', 2, NY), ['2024-03-11T06:30:00.000Z', '2024-03-12T06:30:00.000Z']);
    // the hour around it keeps firing on the wall clock
    assert.deepEqual(nextN('0 * * * *', '2024-03-10T05:30:00Z', 3, NY), ['2024-03-10T06:00:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-10T08:00:00.000Z']);
  });

  test('a time repeated by fall back fires twice', () => {
    assert.deepEqual(nextN('30 1 * * *', '2024-11-03T04:00:00Z', 3, NY), ['2024-11-03T05:30:00.000Z', '2024-11-03T06:30:00.000Z', '2024-11-04T06:30:00.000Z']);
  });

  test('daily schedules follow the zone offset across DST', () => {
    assert.equal(next('0 9 * * *', '2024-07-01T00:00:00Z', 'UTC', 'Europe/Berlin'), '2024-07-01T07:00:00.000Z');
    assert.equal(next('0 9 * * *', '2024-12-01T00:00:00Z', 'UTC', 'Europe/Berlin'), '2024-12-01T08:00:00.000Z');
    // Berlin jumps 02:00 -> 03:00 on 2024-03-31: 02:15 is skipped that day.
    assert.deepEqual(nextN('15 2 * * *', '2024-03-30T12:00:00Z', 2, 'Europe/Berlin'), ['2024-04-01T00:15:00.000Z', '2024-04-02T00:15:00.000Z']);
    // Santiago skips 00:00 -> 01:00 on 2024-09-08: that day has no midnight, so no run (as robfig/cron)
    assert.equal(next('0 0 * * *', '2024-09-07T12:00:00Z', 'UTC', 'America/Santiago'), '2024-09-09T03:00:00.000Z');
  });

  test('half-hour zones and the default zone', () => {
    assert.equal(next('0 * * * *', '2024-01-01T00:00:00Z', 'Asia/Kolkata'), '2024-01-01T00:30:00.000Z');
    assert.equal(next('0 0 * * *', '2024-01-01T12:00:00Z', 'Asia/Tokyo'), '2024-01-01T15:00:00.000Z');
    assert.equal(next('0 0 * * *', '2024-01-01T12:00:00Z', 'Asia/Tokyo', 'UTC'), '2024-01-02T00:00:00.000Z', 'spec.timeZone wins');
  });
});

describe('mostRecentScheduleTime', () => {
  const every = compileSchedule('* * * * *', 'UTC');

  test('none, one and several unmet times', () => {
    assert.deepEqual(mostRecentScheduleTime(every, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:00:30Z')), { missed: 0 });
    assert.deepEqual(mostRecentScheduleTime(every, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:01:00Z')), { mostRecent: at('2024-01-01T00:01:00Z'), missed: 1 });
    assert.deepEqual(mostRecentScheduleTime(every, at('2024-01-01T00:00:00Z'), at('2024-01-01T00:05:30Z')), { mostRecent: at('2024-01-01T00:05:00Z'), missed: 5 });
  });

  test('more than 100 missed: a count past 100 and the latest time', () => {
    const r = mostRecentScheduleTime(every, at('2024-01-01T00:00:00Z'), at('2024-01-02T00:00:10Z'));
    assert.equal(r.mostRecent, at('2024-01-02T00:00:00Z'));
    assert.equal(r.missed, 1440);
    const weekly = compileSchedule('0 3 * * 2', 'UTC');
    const w = mostRecentScheduleTime(weekly, at('2020-01-01T00:00:00Z'), at('2024-01-01T00:00:00Z'));
    assert.ok(w.missed > 100);
    assert.equal(iso(w.mostRecent), '2023-12-26T03:00:00.000Z');
  });
});
