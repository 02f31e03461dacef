const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's zero time.Time, 0001-01-01T00:00:00Z, which metav1.Time treats as unset. */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/**
 * A duration in milliseconds as Kubernetes' `duration.HumanDuration` prints it: two significant
 * units at most (`5s`, `2m3s`, `15m`, `3h2m`, `20h`, `2d3h`, `30d`, `2y3d`, `9y`). Up to one second
 * in the future counts as `0s` (clock skew); further in the future is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/**
 * Milliseconds since the epoch of an RFC 3339 time (metav1.Time or MicroTime), or undefined when
 * it is absent, the zero time or unparseable.
 */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  // Date.parse copes with at most millisecond precision; MicroTime carries six digits.
  const t = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(t) || t === ZERO_TIME) return undefined;
  return t;
}

/** `translateTimestampSince`: the age of a timestamp, or `<unknown>` when it is unset. */
export function translateTimestampSince(value: unknown, now: Date): string {
  const t = parseTime(value);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}
