import type { Pod } from 'kubernetes-types/core/v1';
import { DEFAULT_FILTERS, Filter } from './filters';
import { DEFAULT_SCORERS, Scorer } from './scores';
import type { Snapshot } from './snapshot';
import { CycleState } from './cycle-state';

export type ScheduleResult =
  | { node: string; scores: Record<string, number> }
  | { node?: undefined; reasons: Record<string, string[]>; message: string };

export interface ScheduleOptions {
  filters?: readonly Filter[];
  scorers?: readonly Scorer[];
}

/**
 * Picks a node for a pod, or says why none fits. Pure: reads the snapshot, writes nothing.
 * Ties go to the first node by name, so results are reproducible.
 */
export function schedule(pod: Pod, snapshot: Snapshot, opts: ScheduleOptions = {}): ScheduleResult {
  const filters = opts.filters ?? DEFAULT_FILTERS;
  const scorers = opts.scorers ?? DEFAULT_SCORERS;
  const state = new CycleState(pod, snapshot);
  const feasible = [];
  const reasons: Record<string, string[]> = {};
  for (const n of snapshot.nodes) {
    let failed: string[] = [];
    for (const f of filters) {
      failed = f.filter(pod, n, snapshot, state);
      if (failed.length) break;
    }
    if (failed.length) reasons[n.name] = failed;
    else feasible.push(n);
  }
  if (feasible.length === 0) return { reasons, message: failureMessage(snapshot.nodes.length, reasons) };

  const totals = feasible.map(() => 0);
  for (const s of scorers) {
    const raw = feasible.map((n) => s.score(pod, n, snapshot, state));
    s.normalize?.(raw);
    raw.forEach((v, i) => { totals[i]! += v * s.weight; });
  }
  let best = 0;
  for (let i = 1; i < feasible.length; i++) if (totals[i]! > totals[best]!) best = i;
  const scores: Record<string, number> = {};
  feasible.forEach((n, i) => { scores[n.name] = totals[i]!; });
  return { node: feasible[best]!.name, scores };
}

/**
 * The FailedScheduling message, worded as Kubernetes words it:
 * `0/3 nodes are available: 1 node(s) had untolerated taint {env: dev}, 2 Insufficient memory.`
 */
export function failureMessage(numNodes: number, reasons: Record<string, string[]>): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const rs of Object.values(reasons)) for (const r of rs) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, c]) => `${c} ${r}`).sort();
  return `0/${numNodes} nodes are available: ${parts.join(', ')}.`;
}
