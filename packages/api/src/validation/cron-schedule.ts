/**
 * The standard cron syntax CronJobs use (five fields, `@hourly`-style descriptors,
 * `@every <duration>`, an optional `TZ=`/`CRON_TZ=` prefix), parsed as the robfig/cron
 * standard parser Kubernetes uses does, with the same error messages. The result holds one
 * bit set per field, which a controller can use to compute run times.
 */

export interface CronSchedule {
  /** The time zone named by a TZ=/CRON_TZ= prefix, if any. */
  timeZone?: string;
  /** `@every <duration>` schedules: the interval in milliseconds. */
  everyMs?: number;
  /** Bit i set when value i is allowed. */
  minute: bigint;
  hour: bigint;
  dayOfMonth: bigint;
  month: bigint;
  dayOfWeek: bigint;
  /** The day-of-month or day-of-week field was `*` (cron's "either day matches" rule). */
  dayOfMonthStar: boolean;
  dayOfWeekStar: boolean;
}

export class CronScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronScheduleError';
  }
}

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

function atoi(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n)) throw new CronScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (n < 0) throw new CronScheduleError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function intOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? atoi(expr);
}

function bits(min: number, max: number, step: number): bigint {
  let out = 0n;
  for (let i = min; i <= max; i += step) out |= 1n << BigInt(i);
  return out;
}

function range(expr: string, b: Bounds): { bits: bigint; star: boolean } {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] as string).split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = intOrName(lowAndHigh[0] as string, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1] as string, b);
    else throw new CronScheduleError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = atoi(rangeAndStep[1] as string);
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronScheduleError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronScheduleError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronScheduleError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronScheduleError(`step of range should be a positive number: ${expr}`);
  return { bits: bits(start, end, step), star };
}

function field(value: string, b: Bounds): { bits: bigint; star: boolean } {
  let out = 0n;
  let star = false;
  for (const part of value.split(',').filter((p) => p !== '')) {
    const r = range(part, b);
    out |= r.bits;
    star = star || r.star;
  }
  return { bits: out, star };
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
function parseDuration(s: string): number {
  const orig = s;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  if (s === '0') return 0;
  if (s === '') throw new CronScheduleError(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(s)) throw new CronScheduleError(`time: missing unit in duration ${JSON.stringify(orig)}`);
      throw new CronScheduleError(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return sign * total;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** Parses a schedule; throws CronScheduleError with robfig/cron's message. */
export function parseCronSchedule(spec: string, isValidTimeZone: (tz: string) => boolean = isKnownTimeZone): CronSchedule {
  if (spec.length === 0) throw new CronScheduleError('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const tz = space < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, space);
    if (!isValidTimeZone(tz)) throw new CronScheduleError(`provided bad location ${tz}: unknown time zone ${tz}`);
    timeZone = tz;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      let ms: number;
      try {
        ms = parseDuration(spec.slice('@every '.length));
      } catch (e) {
        throw new CronScheduleError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return { ...parseFields('* * * * *'), everyMs: ms, ...(timeZone ? { timeZone } : {}) };
    }
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new CronScheduleError(`unrecognized descriptor: ${spec}`);
    return { ...parseFields(expanded), ...(timeZone ? { timeZone } : {}) };
  }
  return { ...parseFields(spec), ...(timeZone ? { timeZone } : {}) };
}

function parseFields(spec: string): CronSchedule {
  const fields = spec.split(/[ \t\n\r\v\f]+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [mi, ho, dom, mo, dow] = fields as [string, string, string, string, string];
  const minute = field(mi, MINUTES);
  const hour = field(ho, HOURS);
  const dayOfMonth = field(dom, DOM);
  const month = field(mo, MONTHS);
  const dayOfWeek = field(dow, DOW);
  return {
    minute: minute.bits, hour: hour.bits, dayOfMonth: dayOfMonth.bits, month: month.bits, dayOfWeek: dayOfWeek.bits,
    dayOfMonthStar: dayOfMonth.star, dayOfWeekStar: dayOfWeek.star,
  };
}

/** True for "UTC", "Local" and IANA names this runtime knows. */
export function isKnownTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'UTC' || tz === 'Local') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
