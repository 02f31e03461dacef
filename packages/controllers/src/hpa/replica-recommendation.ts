/**
 * The HorizontalPodAutoscaler's arithmetic, as Kubernetes' replica calculator and
 * normalizeDesiredReplicasWithBehaviors do it. Pure: metrics, pods and history in, numbers out.
 */

/** Kubernetes' --horizontal-pod-autoscaler-tolerance. */
export const DEFAULT_TOLERANCE = 0.1;
/** --horizontal-pod-autoscaler-cpu-initialization-period */
export const CPU_INITIALIZATION_PERIOD_MS = 5 * 60_000;
/** --horizontal-pod-autoscaler-initial-readiness-delay */
export const INITIAL_READINESS_DELAY_MS = 30_000;

/** One pod as the calculator sees it. */
export interface PodSample {
  name: string;
  phase: string;
  deleting: boolean;
  /** status.startTime, ms */
  startTime?: number;
  ready?: { status: string; lastTransitionTime?: number };
  /** Sum of the containers' requests for the resource (milli); undefined when a container has none. */
  requestMilli?: number;
  /** The container that lacks a request, for the error message. */
  missingRequestContainer?: string;
  /** Usage (milli), its timestamp and window, when the metrics API has the pod. */
  metric?: { usageMilli: number; timestamp: number; windowMs: number };
}

export type ResourceTarget = { utilization: number } | { averageMilli: number };

export interface ResourceReplicas {
  replicas: number;
  /** Current average utilization (percentage of request), for Utilization targets. */
  utilization?: number;
  /** Current average usage per pod with metrics (milli). */
  averageMilli: number;
}

export class ReplicaCalculationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicaCalculationError';
  }
}

/**
 * GetResourceReplicas / GetRawResourceReplicas: the usage ratio over pods with usable metrics,
 * no change within the tolerance; failed or deleting pods ignored; pending or not-yet-ready
 * pods (CPU) ignored, and counted as using nothing when that would scale up; pods without
 * metrics counted at their request (or the target) on scale down and at zero on scale up; a
 * change that the missing pods would reverse does not happen.
 */
export function resourceReplicas(currentReplicas: number, pods: PodSample[], target: ResourceTarget, isCPU: boolean, now: number, tolerance = DEFAULT_TOLERANCE): ResourceReplicas {
  if (pods.length === 0) throw new ReplicaCalculationError('no pods returned by selector while calculating replica count');
  const usable = new Map<string, number>();
  const unready: PodSample[] = [];
  const missing: PodSample[] = [];
  let readyCount = 0;
  for (const p of pods) {
    if (p.deleting || p.phase === 'Failed') continue;
    if (p.phase === 'Pending') { unready.push(p); continue; }
    if (!p.metric) { missing.push(p); continue; }
    if (isCPU) {
      let isUnready: boolean;
      if (!p.ready || p.startTime === undefined) isUnready = true;
      else if (p.startTime + CPU_INITIALIZATION_PERIOD_MS > now) {
        isUnready = p.ready.status === 'False' || p.metric.timestamp < (p.ready.lastTransitionTime ?? 0) + p.metric.windowMs;
      } else {
        isUnready = p.ready.status === 'False' && p.startTime + INITIAL_READINESS_DELAY_MS > (p.ready.lastTransitionTime ?? 0);
      }
      if (isUnready) { unready.push(p); continue; }
    }
    usable.set(p.name, p.metric.usageMilli);
    readyCount++;
  }
  if (usable.size === 0) throw new ReplicaCalculationError('did not receive metrics for targeted pods (pods might be unready)');

  const requestOf = (p: PodSample): number => {
    if (p.requestMilli === undefined) throw new ReplicaCalculationError(`missing request for ${isCPU ? 'cpu' : 'memory'} in container ${p.missingRequestContainer ?? ''} of Pod ${p.name}`);
    return p.requestMilli;
  };
  const requests = new Map<string, number>();
  if ('utilization' in target) for (const p of pods) if (usable.has(p.name) || missing.includes(p) || unready.includes(p)) requests.set(p.name, requestOf(p));

  const ratioOf = (m: Map<string, number>): { ratio: number; utilization?: number; averageMilli: number } => {
    let total = 0;
    for (const v of m.values()) total += v;
    const averageMilli = total / m.size;
    if ('utilization' in target) {
      let req = 0;
      for (const k of m.keys()) req += requests.get(k) ?? 0;
      if (req === 0) throw new ReplicaCalculationError('no metrics returned matched known pods');
      const utilization = Math.trunc((total * 100) / req);
      return { ratio: utilization / target.utilization, utilization, averageMilli };
    }
    return { ratio: averageMilli / target.averageMilli, averageMilli };
  };

  const first = ratioOf(usable);
  const out = (replicas: number): ResourceReplicas => ({ replicas, averageMilli: Math.trunc(first.averageMilli), ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });
  const scaleUpWithUnready = unready.length > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && missing.length === 0) {
    if (Math.abs(1 - first.ratio) <= tolerance) return out(currentReplicas);
    return out(Math.ceil(first.ratio * readyCount));
  }
  const filled = new Map(usable);
  for (const p of missing) {
    // Scaling down: assume they use what they asked for; scaling up: nothing.
    const fallback = first.ratio < 1 ? ('utilization' in target ? requests.get(p.name) ?? 0 : target.averageMilli) : 0;
    filled.set(p.name, fallback);
  }
  if (scaleUpWithUnready) for (const p of unready) filled.set(p.name, 0);
  const second = ratioOf(filled);
  if (Math.abs(1 - second.ratio) <= tolerance || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) return out(currentReplicas);
  const replicas = Math.ceil(second.ratio * filled.size);
  if ((second.ratio < 1 && replicas > currentReplicas) || (second.ratio > 1 && replicas < currentReplicas)) return out(currentReplicas);
  return out(replicas);
}

// ---- behavior: stabilization windows and scaling policies ----------------------------

export interface ScalingPolicy { type: 'Pods' | 'Percent' | string; value: number; periodSeconds: number }
export interface ScalingRules { stabilizationWindowSeconds?: number; selectPolicy?: string; policies?: ScalingPolicy[] }
export interface Behavior { scaleUp?: ScalingRules; scaleDown?: ScalingRules }

/** Kubernetes' defaults (also what an HPA without `behavior` gets). */
export const DEFAULT_SCALE_UP: Required<ScalingRules> = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] };
export const DEFAULT_SCALE_DOWN: Required<ScalingRules> = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

export function withDefaults(b: Behavior | undefined): { scaleUp: Required<ScalingRules>; scaleDown: Required<ScalingRules> } {
  const merge = (r: ScalingRules | undefined, d: Required<ScalingRules>): Required<ScalingRules> => ({
    stabilizationWindowSeconds: r?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    selectPolicy: r?.selectPolicy ?? d.selectPolicy,
    policies: r?.policies?.length ? r.policies : d.policies,
  });
  return { scaleUp: merge(b?.scaleUp, DEFAULT_SCALE_UP), scaleDown: merge(b?.scaleDown, DEFAULT_SCALE_DOWN) };
}

export interface TimestampedRecommendation { at: number; replicas: number }
export interface ScaleEvent { at: number; change: number }

export interface History {
  recommendations: TimestampedRecommendation[];
  scaleUps: ScaleEvent[];
  scaleDowns: ScaleEvent[];
}

export interface Condition { status: 'True' | 'False'; reason: string; message: string }

export interface Normalized {
  desired: number;
  /** AbleToScale (ScaleUpStabilized / ScaleDownStabilized / ReadyForNewScale). */
  ableToScale: Condition;
  /** ScalingLimited. */
  limited: Condition;
  /** The recommendations to keep (the input plus this one, obsolete ones dropped). */
  recommendations: TimestampedRecommendation[];
}

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((s, e) => s + e.change, 0);
}

/** The most replicas the scale-up policies allow now. */
export function scaleUpLimit(current: number, h: Pick<History, 'scaleUps' | 'scaleDowns'>, rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUps, now) + changeInPeriod(p.periodSeconds, h.scaleDowns, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down policies allow now. */
export function scaleDownLimit(current: number, h: Pick<History, 'scaleUps' | 'scaleDowns'>, rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUps, now) + changeInPeriod(p.periodSeconds, h.scaleDowns, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * normalizeDesiredReplicasWithBehaviors: the stabilization window (scale up to the lowest,
 * down to the highest recommendation within it), then the scaling policies' rate and
 * min/max replicas.
 */
export function normalizeDesiredReplicas(a: { current: number; desired: number; min: number; max: number; behavior?: Behavior; history: History; now: number }): Normalized {
  const b = withDefaults(a.behavior);
  const up = a.desired >= a.current;
  const window = (up ? b.scaleUp : b.scaleDown).stabilizationWindowSeconds;
  const longest = Math.max(b.scaleUp.stabilizationWindowSeconds, b.scaleDown.stabilizationWindowSeconds);
  const cutoff = a.now - window * 1000;
  let stabilized = a.desired;
  for (const r of a.history.recommendations) {
    if (r.at > cutoff) stabilized = up ? Math.min(stabilized, r.replicas) : Math.max(stabilized, r.replicas);
  }
  const recommendations = [...a.history.recommendations.filter((r) => r.at >= a.now - longest * 1000), { at: a.now, replicas: a.desired }];
  const ableToScale: Condition = stabilized !== a.desired
    ? up
      ? { status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
      : { status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
    : { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };

  let desired = stabilized;
  let limit: Omit<Condition, 'status'> = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  if (stabilized > a.current) {
    const upLimit = Math.max(a.current, scaleUpLimit(a.current, a.history, b.scaleUp, a.now));
    let allowed = a.max;
    let why: Omit<Condition, 'status'> = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    if (allowed > upLimit) {
      allowed = upLimit;
      why = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
    }
    if (stabilized > allowed) { desired = allowed; limit = why; }
  } else if (stabilized < a.current) {
    const downLimit = Math.min(a.current, scaleDownLimit(a.current, a.history, b.scaleDown, a.now));
    let allowed = a.min;
    let why: Omit<Condition, 'status'> = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    if (allowed < downLimit) {
      allowed = downLimit;
      why = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };
    }
    if (stabilized < allowed) { desired = allowed; limit = why; }
  }
  return { desired, ableToScale, limited: { status: desired === stabilized ? 'False' : 'True', ...limit }, recommendations };
}

/** Records a rescale for the policies' periods, dropping events older than the longest one. */
export function recordScaleEvent(h: History, behavior: Behavior | undefined, from: number, to: number, now: number): History {
  const b = withDefaults(behavior);
  const keep = (events: ScaleEvent[], rules: Required<ScalingRules>) => {
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds));
    return events.filter((e) => e.at > now - longest * 1000);
  };
  const scaleUps = keep(h.scaleUps, b.scaleUp);
  const scaleDowns = keep(h.scaleDowns, b.scaleDown);
  if (to > from) scaleUps.push({ at: now, change: to - from });
  else if (to < from) scaleDowns.push({ at: now, change: from - to });
  return { recommendations: h.recommendations, scaleUps, scaleDowns };
}
