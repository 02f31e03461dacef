import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCronSchedule, CronScheduleError } from './index';

const bitsOf = (b: bigint): number[] => [...Array(64).keys()].filter((i) => (b >> BigInt(i)) & 1n);

test('standard fields, ranges, steps and names', () => {
  const s = parseCronSchedule('*/15 9-17 1,15 jan-mar mon-fri');
  assert.deepEqual(bitsOf(s.minute), [0, 15, 30, 45]);
  assert.deepEqual(bitsOf(s.hour), [9, 10, 11, 12, 13, 14, 15, 16, 17]);
  assert.deepEqual(bitsOf(s.dayOfMonth), [1, 15]);
  assert.deepEqual(bitsOf(s.month), [1, 2, 3]);
  assert.deepEqual(bitsOf(s.dayOfWeek), [1, 2, 3, 4, 5]);
  assert.equal(s.dayOfMonthStar, false);
  const star = parseCronSchedule('0 0 * * *');
  assert.equal(star.dayOfMonthStar, true);
  assert.equal(star.dayOfWeekStar, true);
  assert.deepEqual(bitsOf(parseCronSchedule('5/20 * * * *').minute), [5, 25, 45]);
});

test('descriptors, @every and time zones', () => {
  assert.deepEqual(bitsOf(parseCronSchedule('@hourly').minute), [0]);
  assert.deepEqual(bitsOf(parseCronSchedule('@weekly').dayOfWeek), [0]);
  assert.deepEqual(bitsOf(parseCronSchedule('@yearly').month), [1]);
  assert.equal(parseCronSchedule('@every 1h30m').everyMs, 5_400_000);
  assert.equal(parseCronSchedule('TZ=Europe/Paris 0 3 * * *').timeZone, 'Europe/Paris');
  assert.equal(parseCronSchedule('CRON_TZ=UTC @daily').timeZone, 'UTC');
});

test('errors use robfig/cron wording', () => {
  const cases: [string, string][] = [
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['TZ=Nowhere/Town * * * * *', 'provided bad location Nowhere/Town: unknown time zone Nowhere/Town'],
    ['@every soon', 'failed to parse duration @every soon: time: invalid duration "soon"'],
  ];
  for (const [spec, msg] of cases) {
    assert.throws(() => parseCronSchedule(spec), (e: unknown) => e instanceof CronScheduleError && e.message === msg, spec);
  }
});
