import { apiVersionOf, deepCopy, deepEqual, findByKind, parseLabelSelector, RESOURCES, quantityToMillis, type KObject, type ResourceInfo } from '@skiff/api';
import { scaleOf } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { nowRFC3339, podPhase } from '../common/pod-state';
import type { PodMetricsSource } from './pod-metrics-source';
import {
  normalizeDesiredReplicas, recordScaleEvent, resourceReplicas, type Behavior, type History, type PodSample, type ResourceTarget,
} from './replica-recommendation';

export const HPA = findByKind('autoscaling/v2', 'HorizontalPodAutoscaler')!;
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

interface MetricSpec {
  type: string;
  resource?: { name: string; target: { type: string; averageUtilization?: number; averageValue?: string } };
}

interface HpaSpec {
  scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: MetricSpec[];
  behavior?: Behavior;
}

export interface HpaCondition { type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }

export interface HpaStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas: number;
  desiredReplicas: number;
  currentMetrics?: unknown[];
  conditions?: HpaCondition[];
}

export interface HpaControllerDeps {
  hpas: ObjectCache;
  /** Pods (namespace index). */
  pods: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  metrics: PodMetricsSource;
  /** A live read of the scale target (the Registry), so a rescale never works from a stale replica count. */
  getTarget: (info: ResourceInfo, namespace: string, name: string) => Promise<KObject | undefined>;
  /** --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncPeriodMs?: number;
  tolerance?: number;
  queue?: WorkQueue;
  clock?: () => number;
}

const DEFAULT_METRICS: MetricSpec[] = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];

/** A milli quantity as resource.NewMilliQuantity prints it (`250m`, `2`). */
function milliQuantity(m: number): string {
  const v = Math.trunc(m);
  return v % 1000 === 0 ? String(v / 1000) : `${v}m`;
}

/**
 * autoscaling/v2 HorizontalPodAutoscalers on Resource metrics (cpu, memory; Utilization and
 * AverageValue) from the metrics API: every sync period, the replica count the metrics ask
 * for, stabilized and rate-limited by `behavior`, written through the scale of the target.
 */
export class HorizontalPodAutoscalerController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;
  private readonly syncPeriodMs: number;
  private readonly history = new Map<string, History>();

  constructor(private readonly d: HpaControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
    this.syncPeriodMs = d.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
  }

  register(hpas: Informer): void {
    hpas.addHandler({
      add: (h) => this.queue.add(keyOf(h)),
      update: (o, h) => { if (!deepEqual(o.spec, h.spec)) this.queue.add(keyOf(h)); },
      delete: (h) => this.queue.add(keyOf(h)),
    });
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.d.hpas.get(key);
    if (!cached) {
      this.history.delete(key);
      return;
    }
    try {
      await this.sync(key, cached);
    } finally {
      this.queue.addAfter(key, this.syncPeriodMs);
    }
  }

  private async sync(key: string, hpa: KObject): Promise<void> {
    const now = this.clock();
    const spec = (hpa.spec ?? {}) as HpaSpec;
    const prior = (hpa.status ?? {}) as Partial<HpaStatus>;
    const conditions = new Conditions(prior.conditions ?? [], nowRFC3339(now));
    const ns = hpa.metadata.namespace ?? 'default';
    const ref = spec.scaleTargetRef ?? {};
    const refText = `${ref.kind ?? ''}/${ref.name ?? ''}`;
    const status: HpaStatus = { currentReplicas: prior.currentReplicas ?? 0, desiredReplicas: prior.desiredReplicas ?? 0 };
    if (prior.lastScaleTime) status.lastScaleTime = prior.lastScaleTime;
    if (hpa.metadata.generation !== undefined) status.observedGeneration = hpa.metadata.generation;
    if (prior.currentMetrics) status.currentMetrics = prior.currentMetrics;

    // The kind's scalable resource (any version when scaleTargetRef.apiVersion is empty, as the RESTMapper resolves it).
    const info = RESOURCES.find((r) => r.kind === ref.kind && (!ref.apiVersion || apiVersionOf(r) === ref.apiVersion) && r.subresources.some((x) => x.name === 'scale'));
    const target = info ? await this.d.getTarget(info, ns, ref.name ?? '') : undefined;
    if (!info || !target) {
      const msg = !info ? `the server could not find the requested resource ${ref.apiVersion ?? ''} ${ref.kind ?? ''} with a scale subresource` : `${(info.plural)}.${info.group || 'core'} "${ref.name ?? ''}" not found`;
      this.d.recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
      conditions.set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
      return this.writeStatus(hpa, status, conditions);
    }
    const scale = scaleOf(target) as unknown as { spec: { replicas: number }; status: { selector?: string } };
    const current = scale.spec.replicas;
    status.currentReplicas = current;
    conditions.set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
    const min = spec.minReplicas ?? 1;
    const max = spec.maxReplicas ?? min;
    const h = this.history.get(key) ?? { recommendations: [], scaleUps: [], scaleDowns: [] };

    let desired = current;
    let reason = '';
    let rescale = true;
    if (current === 0 && min !== 0) {
      rescale = false;
      desired = 0;
      conditions.set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
    } else if (current > max) {
      desired = max;
      reason = 'Current number of replicas above Spec.MaxReplicas';
    } else if (current < min) {
      desired = min;
      reason = 'Current number of replicas below Spec.MinReplicas';
    } else {
      const computed = await this.replicasForMetrics(hpa, spec, current, scale.status.selector ?? '', ns, now, conditions);
      status.currentMetrics = computed.statuses;
      if (computed.replicas === undefined) {
        status.desiredReplicas = current;
        this.d.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error ?? 'invalid metrics');
        return this.writeStatus(hpa, status, conditions);
      }
      desired = Math.max(0, computed.replicas);
      if (desired > current) reason = `${computed.metricName} above target`;
      if (desired < current) reason = 'All metrics below target';
      const n = normalizeDesiredReplicas({ current, desired, min, max, behavior: spec.behavior, history: h, now });
      h.recommendations = n.recommendations;
      conditions.set('AbleToScale', n.ableToScale.status, n.ableToScale.reason, n.ableToScale.message);
      conditions.set('ScalingLimited', n.limited.status, n.limited.reason, n.limited.message);
      desired = n.desired;
      rescale = desired !== current;
    }
    this.history.set(key, h);

    if (rescale) {
      try {
        await this.d.client.patch(info, ns, ref.name!, 'merge', { spec: { replicas: desired } });
      } catch (e) {
        const msg = (e as Error).message;
        this.d.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        conditions.set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
        status.desiredReplicas = current;
        await this.writeStatus(hpa, status, conditions);
        throw e;
      }
      conditions.set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      this.d.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.d.log.info('rescaled', { hpa: key, target: refText, from: current, to: desired, reason });
      this.history.set(key, recordScaleEvent(h, spec.behavior, current, desired, now));
      status.lastScaleTime = nowRFC3339(now);
    } else {
      desired = current;
    }
    status.desiredReplicas = desired;
    await this.writeStatus(hpa, status, conditions);
  }

  /** The largest proposal over the metrics; undefined replicas when none could be computed. */
  private async replicasForMetrics(hpa: KObject, spec: HpaSpec, current: number, selectorText: string, ns: string, now: number, conditions: Conditions): Promise<{ replicas?: number; metricName: string; statuses: unknown[]; error?: string }> {
    const metrics = spec.metrics?.length ? spec.metrics : DEFAULT_METRICS;
    let best: number | undefined;
    let bestName = '';
    let firstError: string | undefined;
    const statuses: unknown[] = [];
    for (const m of metrics) {
      const r = m.resource;
      if (m.type !== 'Resource' || !r) {
        const msg = `unsupported metric source type "${m.type}" (skiff computes Resource metrics only)`;
        firstError ??= msg;
        statuses.push({ type: '' });
        conditions.set('ScalingActive', 'False', 'InvalidMetricSourceType', `the HPA was unable to compute the replica count: ${msg}`);
        continue;
      }
      const utilization = r.target.type === 'Utilization';
      const target: ResourceTarget = utilization ? { utilization: r.target.averageUtilization ?? 80 } : { averageMilli: quantityToMillis(r.target.averageValue ?? '0') };
      const name = utilization ? `${r.name} resource utilization (percentage of request)` : `${r.name} resource`;
      try {
        if (!selectorText) throw new Error('selector is required');
        const selector = parseLabelSelector(selectorText);
        const pods = this.d.pods.byIndex('namespace', ns).filter((p) => selector.matches(p.metadata.labels));
        const usage = await this.d.metrics.podMetrics(pods.filter((p) => !p.metadata.deletionTimestamp));
        const samples = pods.map((p) => podSample(p, r.name, usage.get(p.metadata.name ?? '')));
        const out = resourceReplicas(current, samples, target, r.name === 'cpu', now, this.d.tolerance);
        const cur: Record<string, unknown> = { averageValue: milliQuantity(out.averageMilli) };
        if (out.utilization !== undefined) cur.averageUtilization = out.utilization;
        statuses.push({ type: 'Resource', resource: { name: r.name, current: cur } });
        if (best === undefined || out.replicas > best) { best = out.replicas; bestName = name; }
      } catch (e) {
        const msg = (e as Error).message;
        firstError ??= msg;
        statuses.push({ type: '' });
        this.d.recorder.event(hpa, 'Warning', 'FailedGetResourceMetric', msg);
        conditions.set('ScalingActive', 'False', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: ${msg}`);
      }
    }
    // Statuses stay aligned with spec.metrics (an empty one where a metric failed), as kubectl reads them by index.
    if (best === undefined) return { metricName: '', statuses: statuses.some((s) => (s as { type: string }).type !== '') ? statuses : [], error: firstError };
    conditions.set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${bestName}`);
    return { replicas: best, metricName: bestName, statuses };
  }

  private async writeStatus(hpa: KObject, status: HpaStatus, conditions: Conditions): Promise<void> {
    status.conditions = conditions.list();
    if (!status.currentMetrics?.length) delete status.currentMetrics;
    if (deepEqual(hpa.status, status)) return;
    const next = deepCopy(hpa);
    next.status = status as unknown as Record<string, unknown>;
    await this.d.client.updateStatus(HPA, next);
  }
}

/** The calculator's view of a pod: phase, readiness, start, summed requests, usage. */
export function podSample(pod: KObject, resource: string, usage: { timestamp: number; windowMs: number; containers: { cpuMilli: number; memoryBytes: number }[] } | undefined): PodSample {
  const st = (pod.status ?? {}) as { startTime?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  const containers = ((pod.spec ?? {}) as { containers?: { name: string; resources?: { requests?: Record<string, string | number> } }[] }).containers ?? [];
  let requestMilli: number | undefined = 0;
  let missingRequestContainer: string | undefined;
  for (const c of containers) {
    const q = c.resources?.requests?.[resource];
    if (q === undefined) { requestMilli = undefined; missingRequestContainer = c.name; break; }
    requestMilli += quantityToMillis(q);
  }
  const sample: PodSample = {
    name: pod.metadata.name ?? '', phase: podPhase(pod), deleting: !!pod.metadata.deletionTimestamp,
    ...(st.startTime ? { startTime: Date.parse(st.startTime) } : {}),
    ...(ready ? { ready: { status: ready.status, ...(ready.lastTransitionTime ? { lastTransitionTime: Date.parse(ready.lastTransitionTime) } : {}) } } : {}),
    ...(requestMilli !== undefined ? { requestMilli } : { missingRequestContainer }),
  };
  if (usage) {
    const usageMilli = usage.containers.reduce((s, c) => s + (resource === 'cpu' ? c.cpuMilli : c.memoryBytes * 1000), 0);
    sample.metric = { usageMilli, timestamp: usage.timestamp, windowMs: usage.windowMs };
  }
  return sample;
}

/** status.conditions with Kubernetes' setCondition: lastTransitionTime moves only when the status does. */
class Conditions {
  private readonly items: HpaCondition[];

  constructor(prior: HpaCondition[], private readonly now: string) {
    this.items = prior.map((c) => ({ ...c }));
  }

  set(type: string, status: string, reason: string, message: string): void {
    const i = this.items.findIndex((c) => c.type === type);
    const old = i >= 0 ? this.items[i] : undefined;
    const c: HpaCondition = { type, status, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : this.now, reason, message };
    if (i >= 0) this.items[i] = c;
    else this.items.push(c);
  }

  list(): HpaCondition[] {
    const order = ['AbleToScale', 'ScalingActive', 'ScalingLimited'];
    return [...this.items].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
  }
}
