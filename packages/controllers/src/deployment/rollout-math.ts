/**
 * The pure arithmetic of a Deployment rollout, as Kubernetes' deployment controller does it.
 * Replica sets are reduced to numbers so every step can be tested as data.
 */

export type IntOrPercent = number | string | undefined;

/** An int, or a percentage of `total` rounded up (surge) or down (unavailable). */
export function scaledValue(v: IntOrPercent, total: number, roundUp: boolean, dflt: IntOrPercent): number {
  const x = v === undefined || v === null ? dflt : v;
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const m = /^(\d+)%$/.exec(x);
    if (m) {
      const f = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(f) : Math.floor(f);
    }
    const n = Number(x);
    if (Number.isInteger(n)) return n;
  }
  return 0;
}

/** maxSurge and maxUnavailable for `desired` replicas; both zero would stall, so unavailable becomes 1. */
export function resolveFenceposts(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, desired, true, '25%');
  let unavailable = scaledValue(maxUnavailable, desired, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export interface RSCounts {
  name: string;
  /** spec.replicas */
  replicas: number;
  /** status.availableReplicas */
  available: number;
  /** Creation time, for oldest-first ordering. */
  created: number;
}

export interface RolloutParams {
  desired: number;
  surge: number;
  unavailable: number;
}

/** How many replicas the new replica set should have now (RollingUpdate). */
export function newReplicaSetReplicas(p: RolloutParams, newRS: RSCounts, olds: readonly RSCounts[]): number {
  if (newRS.replicas >= p.desired) return p.desired;
  const current = newRS.replicas + olds.reduce((a, r) => a + r.replicas, 0);
  const maxTotal = p.desired + p.surge;
  if (current >= maxTotal) return newRS.replicas;
  const up = Math.min(maxTotal - current, p.desired - newRS.replicas);
  return newRS.replicas + up;
}

/**
 * How far to scale down the old replica sets (RollingUpdate): first the unhealthy replicas
 * (never more than keeps `desired - unavailable` pods), then available ones while the
 * available total stays at least `desired - unavailable`. Returns new sizes by name, only
 * for the sets that change, oldest first.
 */
export function scaleDownOldReplicaSets(p: RolloutParams, newRS: RSCounts, olds: readonly RSCounts[]): Map<string, number> {
  const out = new Map<string, number>();
  const sorted = [...olds].sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : 1)).map((r) => ({ ...r }));
  const allPods = newRS.replicas + sorted.reduce((a, r) => a + r.replicas, 0);
  const minAvailable = p.desired - p.unavailable;
  const newUnavailable = newRS.replicas - newRS.available;
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;

  // 1. Unhealthy replicas of old sets cost no availability.
  let cleaned = 0;
  for (const r of sorted) {
    if (cleaned >= maxScaledDown) break;
    if (r.replicas === 0 || r.replicas <= r.available) continue;
    const down = Math.min(maxScaledDown - cleaned, r.replicas - r.available);
    r.replicas -= down;
    cleaned += down;
    out.set(r.name, r.replicas);
  }

  // 2. Available replicas, keeping minAvailable.
  const availableTotal = newRS.available + sorted.reduce((a, r) => a + Math.min(r.available, r.replicas), 0);
  if (availableTotal > minAvailable) {
    let budget = availableTotal - minAvailable;
    for (const r of sorted) {
      if (budget <= 0) break;
      if (r.replicas === 0) continue;
      const down = Math.min(r.replicas, budget);
      r.replicas -= down;
      budget -= down;
      out.set(r.name, r.replicas);
    }
  }
  return out;
}

/**
 * Proportional scaling when the deployment is resized in the middle of a rollout: the
 * difference between `desired + surge` and what the sets have now is shared in proportion
 * to their sizes, leftovers going to the largest (newest on ties) set.
 */
export function proportionalScale(desired: number, surge: number, sets: readonly (RSCounts & { isNew?: boolean })[]): Map<string, number> {
  const out = new Map<string, number>();
  const active = sets.filter((s) => s.replicas > 0);
  const current = sets.reduce((a, s) => a + s.replicas, 0);
  const allowed = desired > 0 ? desired + surge : 0;
  const delta = allowed - current;
  if (delta === 0 || active.length === 0) return out;
  const order = [...active].sort((a, b) => b.replicas - a.replicas || (delta > 0 ? b.created - a.created : a.created - b.created));
  let applied = 0;
  const sizes = new Map(order.map((s) => [s.name, s.replicas]));
  for (const s of order) {
    let share = delta > 0 ? Math.floor((delta * s.replicas) / current) : -Math.floor((-delta * s.replicas) / current);
    if (Math.abs(applied + share) > Math.abs(delta)) share = delta - applied;
    sizes.set(s.name, s.replicas + share);
    applied += share;
  }
  const first = order[0]!;
  sizes.set(first.name, Math.max(0, sizes.get(first.name)! + (delta - applied)));
  for (const s of order) if (sizes.get(s.name) !== s.replicas) out.set(s.name, Math.max(0, sizes.get(s.name)!));
  return out;
}

/** Whether the deployment has reached its desired state. */
export function isComplete(desired: number, status: { updatedReplicas?: number; replicas?: number; availableReplicas?: number; observedGeneration?: number }, generation: number): boolean {
  return (status.updatedReplicas ?? 0) === desired && (status.replicas ?? 0) === desired && (status.availableReplicas ?? 0) === desired && (status.observedGeneration ?? 0) >= generation;
}
