/** Percentiles and the one-line report format every benchmark prints. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[idx]!;
}

export function fmtMs(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
}

export interface Pair {
  name: string;
  ours: number;
  raw: number;
  goal?: number;
  unit?: 'ms' | 'ops/s';
}

/** Prints `name  ours  raw  ratio (goal)` rows; ratio is ours/raw for times, raw/ours for rates. */
export function printPairs(title: string, pairs: Pair[]): void {
  process.stdout.write(`\n${title}\n`);
  process.stdout.write(`${'measure'.padEnd(34)}${'skiff'.padStart(12)}${'raw'.padStart(12)}${'ratio'.padStart(9)}  goal\n`);
  for (const p of pairs) {
    const rate = p.unit === 'ops/s';
    const ratio = rate ? p.raw / p.ours : p.ours / p.raw;
    const f = (v: number): string => (rate ? `${v.toFixed(0)}/s` : fmtMs(v));
    const verdict = p.goal === undefined ? '' : ratio <= p.goal ? `<= ${p.goal}x ok` : `<= ${p.goal}x MISSED`;
    process.stdout.write(`${p.name.padEnd(34)}${f(p.ours).padStart(12)}${f(p.raw).padStart(12)}${ratio.toFixed(2).padStart(8)}x  ${verdict}\n`);
  }
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
