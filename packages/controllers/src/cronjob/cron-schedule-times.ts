/**
 * When a CronJob's schedule fires: robfig/cron's SpecSchedule.Next (what Kubernetes uses),
 * evaluated in an IANA time zone through `Intl`, and the CronJob controller's
 * "most recent unmet schedule time" arithmetic. Pure: every function takes the time as input.
 */
import { parseCronSchedule, type CronSchedule } from '@skiff/api';

/** The wall clock of an instant in a time zone. */
export interface WallClock {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function isUTC(tz: string): boolean {
  return tz === 'UTC' || tz === 'Etc/UTC' || tz === '';
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The process' own zone: what Kubernetes calls Local (the controller manager's zone). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function wallClock(ms: number, tz: string): WallClock {
  if (isUTC(tz)) {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
  }
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const p of formatter(tz).formatToParts(new Date(ms))) {
    switch (p.type) {
      case 'year': out.year = Number(p.value); break;
      case 'month': out.month = Number(p.value); break;
      case 'day': out.day = Number(p.value); break;
      case 'hour': out.hour = Number(p.value); break;
      case 'minute': out.minute = Number(p.value); break;
      case 'second': out.second = Number(p.value); break;
      case 'weekday': out.weekday = WEEKDAYS[p.value] ?? 0; break;
      default: break;
    }
  }
  return out;
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function zoneOffsetMs(ms: number, tz: string): number {
  if (isUTC(tz)) return 0;
  const w = wallClock(ms, tz);
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
}

/**
 * Go's time.Date in a location: fields may overflow (day 32 is the 1st of the next month);
 * a wall time skipped by a DST jump resolves with the offset from before the jump (02:30 on
 * a spring-forward night in New York is 01:30 EST), an ambiguous one to its first occurrence.
 */
export function zonedDate(tz: string, year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  if (isUTC(tz)) return local;
  const first = zoneOffsetMs(local, tz);
  const second2 = zoneOffsetMs(local - first, tz);
  return local - (second2 === first ? first : second2);
}

function addDate(ms: number, tz: string, months: number, days: number): number {
  const w = wallClock(ms, tz);
  return zonedDate(tz, w.year, w.month + months, w.day + days, w.hour, w.minute, w.second);
}

const has = (set: bigint, i: number): boolean => ((set >> BigInt(i)) & 1n) === 1n;

function dayMatches(s: CronSchedule, w: WallClock): boolean {
  const dom = has(s.dayOfMonth, w.day);
  const dow = has(s.dayOfWeek, w.weekday);
  return s.dayOfMonthStar || s.dayOfWeekStar ? dom && dow : dom || dow;
}

/**
 * The first activation strictly after `afterMs` (robfig/cron SpecSchedule.Next): fields are
 * matched from month down to minute on the zone's wall clock, hours advance in real time, so
 * a time skipped by a spring-forward jump does not fire that day and one repeated by a
 * fall-back fires twice. Undefined when nothing matches within five years (e.g. `0 0 30 2 *`).
 */
export function nextCronTime(s: CronSchedule, afterMs: number, tz: string): number | undefined {
  if (s.everyMs !== undefined) {
    const delay = Math.max(1000, Math.floor(s.everyMs / 1000) * 1000);
    return Math.floor(afterMs / 1000) * 1000 + delay;
  }
  let t = Math.floor(afterMs / 1000) * 1000 + 1000;
  let w = wallClock(t, tz);
  let added = false;
  const yearLimit = w.year + 5;
  wrap: for (;;) {
    if (w.year > yearLimit) return undefined;
    while (!has(s.month, w.month)) {
      if (!added) { added = true; t = zonedDate(tz, w.year, w.month, 1); }
      t = addDate(t, tz, 1, 0);
      w = wallClock(t, tz);
      if (w.month === 1) continue wrap;
    }
    while (!dayMatches(s, w)) {
      if (!added) { added = true; t = zonedDate(tz, w.year, w.month, w.day); }
      t = addDate(t, tz, 0, 1);
      w = wallClock(t, tz);
      // A DST change can move midnight: back to 00:00 of the intended day.
      if (w.hour !== 0) {
        t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
        w = wallClock(t, tz);
      }
      if (w.day === 1) continue wrap;
    }
    while (!has(s.hour, w.hour)) {
      if (!added) { added = true; t = zonedDate(tz, w.year, w.month, w.day, w.hour); }
      t += 3_600_000;
      w = wallClock(t, tz);
      if (w.hour === 0) continue wrap;
    }
    while (!has(s.minute, w.minute)) {
      if (!added) { added = true; t = Math.floor(t / 60_000) * 60_000; }
      t += 60_000;
      w = wallClock(t, tz);
      if (w.minute === 0) continue wrap;
    }
    if (w.second !== 0) {
      // Standard schedules fire at second 0: on to the next minute, and match again.
      added = true;
      t = Math.floor(t / 1000) * 1000 + (60 - w.second) * 1000;
      w = wallClock(t, tz);
      continue wrap;
    }
    return t;
  }
}

/** A parsed schedule bound to its zone. */
export interface ZonedSchedule {
  schedule: CronSchedule;
  timeZone: string;
  next(afterMs: number): number | undefined;
}

/**
 * Parses a CronJob's schedule for the controller: `spec.timeZone` wins, then a `TZ=`/`CRON_TZ=`
 * prefix (which validation only lets old objects keep), then `defaultZone` (Kubernetes: the
 * controller manager's local zone). Throws CronScheduleError on a bad schedule or zone.
 */
export function compileSchedule(schedule: string, timeZone: string | undefined, defaultZone = localTimeZone()): ZonedSchedule {
  const s = parseCronSchedule(timeZone ? `TZ=${timeZone} ${schedule}` : schedule);
  const tz = s.timeZone && s.timeZone !== 'Local' ? s.timeZone : defaultZone;
  return { schedule: s, timeZone: tz, next: (after) => nextCronTime(s, after, tz) };
}

export interface MostRecent {
  /** The latest schedule time in (earliest, now], if any. */
  mostRecent?: number;
  /** How many schedule times fell in (earliest, now] (estimated from the first interval past 100). */
  missed: number;
}

export const MAX_MISSED_COUNT = 100;

/**
 * Kubernetes' mostRecentScheduleTime: the unmet schedule times after `earliestMs` (the last
 * schedule time, or the CronJob's creation) up to `nowMs`. Counting is capped just past
 * MAX_MISSED_COUNT; the most recent time is then found by searching back from `now`.
 */
export function mostRecentScheduleTime(z: Pick<ZonedSchedule, 'next'>, earliestMs: number, nowMs: number): MostRecent {
  let t = z.next(earliestMs);
  if (t === undefined || t > nowMs) return { missed: 0 };
  const first = t;
  let last = t;
  let missed = 1;
  for (;;) {
    const n = z.next(last);
    if (n === undefined || n > nowMs) return { mostRecent: last, missed };
    last = n;
    missed++;
    if (missed > MAX_MISSED_COUNT) break;
  }
  // Too many to walk. Like Kubernetes, estimate the count from the first interval, and look
  // back from now over a growing window for the latest activation.
  const second = z.next(first) ?? nowMs;
  const estimate = Math.max(missed, Math.floor((nowMs - first) / Math.max(1000, second - first)) + 1);
  for (let window = 3_600_000; ; window *= 2) {
    const from = Math.max(last, nowMs - window);
    let found: number | undefined;
    for (t = z.next(from); t !== undefined && t <= nowMs; t = z.next(t)) found = t;
    if (found !== undefined || from === last) return { mostRecent: found ?? last, missed: estimate };
  }
}
