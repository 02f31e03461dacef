/** Go's time.ParseDuration, as kubectl flags (`--since`, `--timeout`) read durations. */
import { cliError } from '../errors';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds; throws kubectl's `time: invalid duration "x"` error. */
export function parseGoDuration(s: string, flag?: string): number {
  const bad = (): Error => cliError(flag ? `invalid argument "${s}" for "--${flag}" flag: time: invalid duration "${s}"` : `time: invalid duration "${s}"`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m) {
      if (/^\d+(\.\d*)?$/.test(rest)) throw cliError(flag ? `invalid argument "${s}" for "--${flag}" flag: time: missing unit in duration "${s}"` : `time: missing unit in duration "${s}"`);
      throw bad();
    }
    total += Number(m[1]) * (UNITS[m[2] as string] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}
