/**
 * autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler, as Kubernetes converts them.
 *
 * v1 can say only "target this average CPU utilization". Everything else v2 holds is kept in
 * the annotations Kubernetes uses for the round trip, so a v1 client that reads, edits and
 * writes back an object loses nothing written through v2:
 *   autoscaling.alpha.kubernetes.io/metrics          spec.metrics other than the CPU utilization one (v1 MetricSpec JSON)
 *   autoscaling.alpha.kubernetes.io/current-metrics  every status.currentMetrics entry (v1 MetricStatus JSON)
 *   autoscaling.alpha.kubernetes.io/behavior         spec.behavior (v2 JSON)
 *   autoscaling.alpha.kubernetes.io/conditions       status.conditions
 * The stored (v2) object never carries these annotations: v1 -> v2 consumes them.
 */
import { deepCopy, isPlainObject, JsonObject, KObject } from '../object';
import { ConversionError } from './conversion-error';

export const HPA_METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const HPA_METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const HPA_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const HPA_BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
/** autoscaling/v1 without a target means 80% CPU, made explicit on the way to v2. */
export const HPA_DEFAULT_CPU_UTILIZATION = 80;

const ROUND_TRIP_ANNOTATIONS = [HPA_METRIC_SPECS_ANNOTATION, HPA_METRIC_STATUSES_ANNOTATION, HPA_CONDITIONS_ANNOTATION, HPA_BEHAVIOR_ANNOTATION];

function obj(v: unknown): JsonObject | undefined {
  return isPlainObject(v) ? v : undefined;
}

/** Copies the listed keys that are set (not undefined) from `from` into a new object. */
function pick(from: JsonObject | undefined, keys: string[]): JsonObject {
  const out: JsonObject = {};
  if (!from) return out;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

/** Sets `out[k] = v` unless v is undefined. */
function put(out: JsonObject, k: string, v: unknown): void {
  if (v !== undefined) out[k] = v;
}

function isCpuUtilizationMetric(m: unknown): boolean {
  const res = obj(obj(m)?.resource);
  return obj(m)?.type === 'Resource' && res?.name === 'cpu' && obj(res.target)?.averageUtilization !== undefined;
}

// ---- metric specs: v2 {metric, target} <-> v1 flat fields --------------------------------

function specToV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const target = (src: JsonObject | undefined): JsonObject => obj(src?.target) ?? {};
  const object = obj(m.object);
  if (object) {
    const o: JsonObject = {};
    put(o, 'target', object.describedObject);
    put(o, 'metricName', obj(object.metric)?.name);
    put(o, 'targetValue', target(object).value);
    put(o, 'selector', obj(object.metric)?.selector);
    put(o, 'averageValue', target(object).averageValue);
    out.object = o;
  }
  const pods = obj(m.pods);
  if (pods) {
    const o: JsonObject = {};
    put(o, 'metricName', obj(pods.metric)?.name);
    put(o, 'targetAverageValue', target(pods).averageValue);
    put(o, 'selector', obj(pods.metric)?.selector);
    out.pods = o;
  }
  for (const key of ['resource', 'containerResource']) {
    const r = obj(m[key]);
    if (!r) continue;
    const o: JsonObject = {};
    put(o, 'name', r.name);
    put(o, 'targetAverageUtilization', target(r).averageUtilization);
    put(o, 'targetAverageValue', target(r).averageValue);
    if (key === 'containerResource') put(o, 'container', r.container);
    out[key] = o;
  }
  const external = obj(m.external);
  if (external) {
    const o: JsonObject = {};
    put(o, 'metricName', obj(external.metric)?.name);
    put(o, 'metricSelector', obj(external.metric)?.selector);
    put(o, 'targetValue', target(external).value);
    put(o, 'targetAverageValue', target(external).averageValue);
    out.external = o;
  }
  return out;
}

function metricId(name: unknown, selector: unknown): JsonObject {
  const id: JsonObject = {};
  put(id, 'name', name);
  put(id, 'selector', selector);
  return id;
}

/** A v2 MetricTarget from v1's flat fields; the type follows the field that is set. */
function targetFrom(utilization: unknown, averageValue: unknown, value: unknown): JsonObject {
  const t: JsonObject = {};
  if (value !== undefined) { t.type = 'Value'; t.value = value; }
  if (averageValue !== undefined) { t.type = 'AverageValue'; t.averageValue = averageValue; }
  if (utilization !== undefined) { t.type = 'Utilization'; t.averageUtilization = utilization; }
  return t;
}

function specFromV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const object = obj(m.object);
  if (object) {
    const o: JsonObject = {};
    put(o, 'describedObject', object.target);
    o.metric = metricId(object.metricName, object.selector);
    o.target = targetFrom(undefined, object.averageValue, object.targetValue);
    out.object = o;
  }
  const pods = obj(m.pods);
  if (pods) out.pods = { metric: metricId(pods.metricName, pods.selector), target: targetFrom(undefined, pods.targetAverageValue, undefined) };
  for (const key of ['resource', 'containerResource']) {
    const r = obj(m[key]);
    if (!r) continue;
    const o: JsonObject = {};
    put(o, 'name', r.name);
    if (key === 'containerResource') put(o, 'container', r.container);
    o.target = targetFrom(r.targetAverageUtilization, r.targetAverageValue, undefined);
    out[key] = o;
  }
  const external = obj(m.external);
  if (external) {
    out.external = {
      metric: metricId(external.metricName, external.metricSelector),
      target: targetFrom(undefined, external.targetAverageValue, external.targetValue),
    };
  }
  return out;
}

// ---- metric statuses: v2 {metric, current} <-> v1 flat fields ----------------------------

function statusToV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const current = (src: JsonObject | undefined): JsonObject => obj(src?.current) ?? {};
  const object = obj(m.object);
  if (object) {
    const o: JsonObject = {};
    put(o, 'target', object.describedObject);
    put(o, 'metricName', obj(object.metric)?.name);
    put(o, 'currentValue', current(object).value);
    put(o, 'selector', obj(object.metric)?.selector);
    put(o, 'averageValue', current(object).averageValue);
    out.object = o;
  }
  const pods = obj(m.pods);
  if (pods) {
    const o: JsonObject = {};
    put(o, 'metricName', obj(pods.metric)?.name);
    put(o, 'currentAverageValue', current(pods).averageValue);
    put(o, 'selector', obj(pods.metric)?.selector);
    out.pods = o;
  }
  for (const key of ['resource', 'containerResource']) {
    const r = obj(m[key]);
    if (!r) continue;
    const o: JsonObject = {};
    put(o, 'name', r.name);
    put(o, 'currentAverageUtilization', current(r).averageUtilization);
    put(o, 'currentAverageValue', current(r).averageValue);
    if (key === 'containerResource') put(o, 'container', r.container);
    out[key] = o;
  }
  const external = obj(m.external);
  if (external) {
    const o: JsonObject = {};
    put(o, 'metricName', obj(external.metric)?.name);
    put(o, 'metricSelector', obj(external.metric)?.selector);
    put(o, 'currentValue', current(external).value);
    put(o, 'currentAverageValue', current(external).averageValue);
    out.external = o;
  }
  return out;
}

function currentFrom(utilization: unknown, averageValue: unknown, value: unknown): JsonObject {
  const c: JsonObject = {};
  put(c, 'value', value);
  put(c, 'averageValue', averageValue);
  put(c, 'averageUtilization', utilization);
  return c;
}

function statusFromV1(m: JsonObject): JsonObject {
  const out: JsonObject = { type: m.type };
  const object = obj(m.object);
  if (object) {
    const o: JsonObject = {};
    put(o, 'describedObject', object.target);
    o.metric = metricId(object.metricName, object.selector);
    o.current = currentFrom(undefined, object.averageValue, object.currentValue);
    out.object = o;
  }
  const pods = obj(m.pods);
  if (pods) out.pods = { metric: metricId(pods.metricName, pods.selector), current: currentFrom(undefined, pods.currentAverageValue, undefined) };
  for (const key of ['resource', 'containerResource']) {
    const r = obj(m[key]);
    if (!r) continue;
    const o: JsonObject = {};
    put(o, 'name', r.name);
    if (key === 'containerResource') put(o, 'container', r.container);
    o.current = currentFrom(r.currentAverageUtilization, r.currentAverageValue, undefined);
    out[key] = o;
  }
  const external = obj(m.external);
  if (external) {
    out.external = {
      metric: metricId(external.metricName, external.metricSelector),
      current: currentFrom(undefined, external.currentAverageValue, external.currentValue),
    };
  }
  return out;
}

// ---- whole objects ---------------------------------------------------------------------

/** Parses a round-trip annotation; a value that is not the JSON we wrote is an error for the caller. */
function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConversionError(`metadata.annotations[${key}]`, 'invalid JSON');
  }
}


/** The stored autoscaling/v2 object as autoscaling/v1 (a new object; the input is not changed). */
export function hpaV2ToV1(v2: KObject): KObject {
  const src = deepCopy(v2);
  const spec = obj(src.spec);
  const status = obj(src.status);
  const annotations: Record<string, string> = { ...(src.metadata.annotations ?? {}) };
  for (const k of ROUND_TRIP_ANNOTATIONS) delete annotations[k];

  const out: KObject = { ...src, apiVersion: 'autoscaling/v1', metadata: { ...src.metadata } };
  if (spec) {
    const v1spec: JsonObject = pick(spec, ['scaleTargetRef', 'minReplicas', 'maxReplicas']);
    const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
    const cpu = metrics.find((m) => obj(m)?.type === 'Resource' && obj(obj(m)?.resource)?.name === 'cpu');
    const cpuTarget = obj(obj(obj(cpu)?.resource)?.target)?.averageUtilization;
    if (cpuTarget !== undefined) v1spec.targetCPUUtilizationPercentage = cpuTarget;
    const others = metrics.filter((m) => !isCpuUtilizationMetric(m)).map((m) => specToV1(obj(m) ?? {}));
    if (others.length) annotations[HPA_METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
    if (spec.behavior !== undefined && spec.behavior !== null) annotations[HPA_BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
    out.spec = v1spec;
  }
  if (status) {
    const v1status: JsonObject = pick(status, ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']);
    const current = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
    for (const m of current) {
      const res = obj(obj(m)?.resource);
      const u = obj(res?.current)?.averageUtilization;
      if (obj(m)?.type === 'Resource' && res?.name === 'cpu' && u !== undefined) v1status.currentCPUUtilizationPercentage = u;
    }
    // All current metrics are kept, the CPU one too: the annotation holds its raw value as well.
    if (current.length) annotations[HPA_METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map((m) => statusToV1(obj(m) ?? {})));
    if (Array.isArray(status.conditions) && status.conditions.length) annotations[HPA_CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
    out.status = v1status;
  }
  if (Object.keys(annotations).length) out.metadata.annotations = annotations; else delete out.metadata.annotations;
  return out;
}

/**
 * An autoscaling/v1 object (a request body, or one converted from v2 and edited) as
 * autoscaling/v2, restoring what the round-trip annotations hold and removing them.
 */
export function hpaV1ToV2(v1: KObject): KObject {
  const src = deepCopy(v1);
  const spec = obj(src.spec);
  const status = obj(src.status);
  const annotations: Record<string, string> = { ...(isPlainObject(src.metadata.annotations) ? src.metadata.annotations : {}) };
  const otherMetrics = parseAnnotation(annotations, HPA_METRIC_SPECS_ANNOTATION);
  const currentMetrics = parseAnnotation(annotations, HPA_METRIC_STATUSES_ANNOTATION);
  const conditions = parseAnnotation(annotations, HPA_CONDITIONS_ANNOTATION);
  const behavior = parseAnnotation(annotations, HPA_BEHAVIOR_ANNOTATION);
  for (const k of ROUND_TRIP_ANNOTATIONS) delete annotations[k];
  if (otherMetrics !== undefined && !Array.isArray(otherMetrics)) throw new ConversionError(`metadata.annotations[${HPA_METRIC_SPECS_ANNOTATION}]`, 'must be a JSON list of metric specs');
  if (currentMetrics !== undefined && !Array.isArray(currentMetrics)) throw new ConversionError(`metadata.annotations[${HPA_METRIC_STATUSES_ANNOTATION}]`, 'must be a JSON list of metric statuses');
  if (conditions !== undefined && !Array.isArray(conditions)) throw new ConversionError(`metadata.annotations[${HPA_CONDITIONS_ANNOTATION}]`, 'must be a JSON list of conditions');

  const out: KObject = { ...src, apiVersion: 'autoscaling/v2', metadata: { ...src.metadata } };
  if (spec || otherMetrics !== undefined || behavior !== undefined) {
    const v2spec: JsonObject = pick(spec, ['scaleTargetRef', 'minReplicas', 'maxReplicas']);
    const metrics: JsonObject[] = [];
    const cpu = spec?.targetCPUUtilizationPercentage;
    if (cpu !== undefined && cpu !== null) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
    for (const m of (otherMetrics as unknown[] | undefined) ?? []) metrics.push(specFromV1(obj(m) ?? {}));
    // v1 without any target meant 80% CPU; v2 says so explicitly.
    if (!metrics.length) metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: HPA_DEFAULT_CPU_UTILIZATION } } });
    v2spec.metrics = metrics;
    if (behavior !== undefined && behavior !== null) v2spec.behavior = behavior;
    out.spec = v2spec;
  }
  if (status || currentMetrics !== undefined || conditions !== undefined) {
    const v2status: JsonObject = pick(status, ['observedGeneration', 'lastScaleTime', 'currentReplicas', 'desiredReplicas']);
    if (currentMetrics !== undefined) {
      // The annotation has more information than currentCPUUtilizationPercentage.
      v2status.currentMetrics = (currentMetrics as unknown[]).map((m) => statusFromV1(obj(m) ?? {}));
    } else if (status?.currentCPUUtilizationPercentage !== undefined && status.currentCPUUtilizationPercentage !== null) {
      v2status.currentMetrics = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    if (conditions !== undefined) v2status.conditions = conditions;
    out.status = v2status;
  }
  if (Object.keys(annotations).length) out.metadata.annotations = annotations; else delete out.metadata.annotations;
  return out;
}
