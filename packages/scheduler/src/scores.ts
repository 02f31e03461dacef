import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo, Snapshot } from './snapshot';
import { CycleState } from './cycle-state';
import { preferredAffinityWeight, toleratesTaint } from './node-affinity';

export const MAX_NODE_SCORE = 100;

/** A score plugin rates each feasible node 0..100 (after its optional normalization). */
export interface Scorer {
  name: string;
  weight: number;
  score(pod: Pod, node: NodeInfo, snapshot: Snapshot, state?: CycleState): number;
  /** Rescales raw scores over the feasible nodes (in place). */
  normalize?(scores: number[]): void;
}

/** Higher raw score -> 100; `reverse` makes the lowest raw score 100. */
export function defaultNormalize(scores: number[], reverse = false): void {
  const max = Math.max(0, ...scores);
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) scores[i] = reverse ? MAX_NODE_SCORE : 0;
    else {
      const s = Math.floor((scores[i]! * MAX_NODE_SCORE) / max);
      scores[i] = reverse ? MAX_NODE_SCORE - s : s;
    }
  }
}

/** Requested fraction per resource after adding the pod (cpu and memory, with non-zero defaults). */
function fractions(pod: Pod, n: NodeInfo, snapshot: Snapshot, state?: CycleState): { cpu: number; memory: number } | undefined {
  const req = (state ?? new CycleState(pod, snapshot)).nonZeroRequests;
  const out = { cpu: 0, memory: 0 };
  for (const r of ['cpu', 'memory'] as const) {
    const alloc = n.allocatable[r] ?? 0;
    if (alloc <= 0) return undefined;
    out[r] = ((n.nonZeroRequested[r] ?? 0) + (req[r] ?? 0)) / alloc;
  }
  return out;
}

/** NodeResourcesFit LeastAllocated: favours nodes with more free cpu and memory. */
export const leastAllocated: Scorer = {
  name: 'NodeResourcesLeastAllocated',
  weight: 1,
  score(pod, n, snapshot, state) {
    const f = fractions(pod, n, snapshot, state);
    if (!f) return 0;
    const s = (x: number) => (x >= 1 ? 0 : Math.floor((1 - x) * MAX_NODE_SCORE));
    return Math.floor((s(f.cpu) + s(f.memory)) / 2);
  },
};

/** NodeResourcesBalancedAllocation: favours nodes whose cpu and memory use stay even. */
export const balancedAllocation: Scorer = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score(pod, n, snapshot, state) {
    const f = fractions(pod, n, snapshot, state);
    if (!f) return 0;
    const c = Math.min(1, f.cpu);
    const m = Math.min(1, f.memory);
    const std = Math.abs(c - m) / 2;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
};

function controllerUid(pod: Pod): string | undefined {
  return (pod.metadata?.ownerReferences ?? []).find((r) => r.controller)?.uid;
}

/** Spreads the pods of one owner (same controller uid) across nodes: fewer siblings -> higher. */
export const selectorSpread: Scorer = {
  name: 'SelectorSpread',
  weight: 2,
  score(pod, n) {
    const uid = controllerUid(pod);
    if (!uid) return 0;
    return n.ownerCounts.get(uid) ?? 0;
  },
  normalize: (s) => defaultNormalize(s, true),
};

/** TaintToleration: fewer untolerated PreferNoSchedule taints -> higher. */
export const taintTolerationScore: Scorer = {
  name: 'TaintToleration',
  weight: 3,
  score(pod, n) {
    const tol = (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    return (n.node.spec?.taints ?? []).filter((t) => t.effect === 'PreferNoSchedule' && !toleratesTaint(tol, t)).length;
  },
  normalize: (s) => defaultNormalize(s, true),
};

/** NodeAffinity preferred terms: the matched weights, scaled to 0..100. */
export const nodeAffinityScore: Scorer = {
  name: 'NodeAffinity',
  weight: 2,
  score(pod, n) {
    return preferredAffinityWeight(pod, n.node);
  },
  normalize: (s) => defaultNormalize(s),
};

export const DEFAULT_SCORERS: readonly Scorer[] = [leastAllocated, balancedAllocation, selectorSpread, taintTolerationScore, nodeAffinityScore];
