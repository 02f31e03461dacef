/** PodDisruptionBudget (policy/v1) and HorizontalPodAutoscaler (autoscaling/v2) validation. */
import type { JsonObject } from '../object';
import { notMoreThan100Percent, positiveIntOrPercent } from './apps';
import { childPath, forbidden, invalid, notSupported, required } from './field-errors';
import { isValidPathSegmentName, nameIsDNSSubdomain } from './name-rules';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { quantityField } from './pod-spec';
import type { Reader } from './typed-read';

export function validatePodDisruptionBudget(r: Reader, pdb: JsonObject): void {
  validateObjectMeta(r, pdb.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(pdb.spec, 'spec') ?? {};
  const hasMin = spec.minAvailable !== undefined && spec.minAvailable !== null;
  const hasMax = spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
  if (hasMin && hasMax) r.add(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  if (hasMin) {
    positiveIntOrPercent(r, spec.minAvailable, 'spec.minAvailable');
    notMoreThan100Percent(r, spec.minAvailable, 'spec.minAvailable');
  }
  if (hasMax) {
    positiveIntOrPercent(r, spec.maxUnavailable, 'spec.maxUnavailable');
    notMoreThan100Percent(r, spec.maxUnavailable, 'spec.maxUnavailable');
  }
  validateLabelSelector(r, spec.selector, 'spec.selector');
  const policy = r.str(spec.unhealthyPodEvictionPolicy, 'spec.unhealthyPodEvictionPolicy');
  if (policy !== undefined && policy !== 'AlwaysAllow' && policy !== 'IfHealthyBudget') {
    r.add(notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
}

export function validatePodDisruptionBudgetUpdate(r: Reader, pdb: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, pdb.metadata, old.metadata, 'metadata');
  validatePodDisruptionBudget(r, pdb);
}

// ---- HorizontalPodAutoscaler ------------------------------------------------------

const METRIC_TYPES = ['Object', 'Pods', 'Resource', 'External', 'ContainerResource'];
const SOURCE_FIELD: Record<string, string> = { Object: 'object', Pods: 'pods', Resource: 'resource', External: 'external', ContainerResource: 'containerResource' };

function crossVersionObjectReference(r: Reader, value: unknown, path: string): void {
  const ref = r.obj(value, path) ?? {};
  for (const k of ['kind', 'name']) {
    const v = r.str(ref[k], childPath(path, k)) ?? '';
    if (!v) r.add(required(childPath(path, k)));
    else for (const m of isValidPathSegmentName(v)) r.add(invalid(childPath(path, k), v, m));
  }
  r.str(ref.apiVersion, childPath(path, 'apiVersion'));
}

function metricTarget(r: Reader, value: unknown, path: string): JsonObject {
  const t = r.obj(value, path) ?? {};
  const type = r.str(t.type, childPath(path, 'type')) ?? '';
  if (!type) r.add(required(childPath(path, 'type'), 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') r.add(invalid(childPath(path, 'type'), type, 'must be either Utilization, Value, or AverageValue'));
  for (const k of ['value', 'averageValue']) {
    const q = quantityField(r, t[k], childPath(path, k));
    if (q && q.sign() !== 1) r.add(invalid(childPath(path, k), q.toString(), 'must be positive'));
  }
  const util = r.int(t.averageUtilization, childPath(path, 'averageUtilization'));
  if (util !== undefined && util < 1) r.add(invalid(childPath(path, 'averageUtilization'), util, 'must be greater than 0'));
  return t;
}

function metricIdentifier(r: Reader, value: unknown, path: string): void {
  const id = r.obj(value, path) ?? {};
  if (!(r.str(id.name, childPath(path, 'name')) ?? '')) r.add(required(childPath(path, 'name'), 'must specify a metric name'));
  validateLabelSelector(r, id.selector, childPath(path, 'selector'));
}

function validateMetric(r: Reader, m: JsonObject, path: string): void {
  const type = r.str(m.type, childPath(path, 'type')) ?? '';
  if (!type) r.add(required(childPath(path, 'type'), 'must specify a metric source type'));
  if (!METRIC_TYPES.includes(type)) r.add(notSupported(childPath(path, 'type'), type, METRIC_TYPES));
  const present = Object.values(SOURCE_FIELD).filter((k) => m[k] !== undefined && m[k] !== null);
  const expected = SOURCE_FIELD[type];
  if (expected && (m[expected] === undefined || m[expected] === null)) r.add(required(childPath(path, expected), 'must populate information for the given metric source'));
  if (present.length !== 1) {
    for (const k of present) if (k !== expected) r.add(forbidden(childPath(path, k), 'must populate the given metric source only'));
  }
  const first = present[0];
  if (!first) return;
  const sp = childPath(path, first);
  const src = r.obj(m[first], sp);
  if (!src) return;
  if (first === 'resource' || first === 'containerResource') {
    if (!(r.str(src.name, childPath(sp, 'name')) ?? '')) r.add(required(childPath(sp, 'name'), 'must specify a resource name'));
    if (first === 'containerResource' && !(r.str(src.container, childPath(sp, 'container')) ?? '')) r.add(required(childPath(sp, 'container'), 'must specify a container'));
    const t = metricTarget(r, src.target, childPath(sp, 'target'));
    const hasUtil = t.averageUtilization !== undefined && t.averageUtilization !== null;
    const hasAvg = t.averageValue !== undefined && t.averageValue !== null;
    if (!hasUtil && !hasAvg) r.add(required(childPath(sp, 'target', 'averageUtilization'), 'must set either a target raw value or a target utilization'));
    if (hasUtil && hasAvg) r.add(forbidden(childPath(sp, 'target', 'averageValue'), 'may not set both a target raw value and a target utilization'));
  } else {
    metricIdentifier(r, src.metric, childPath(sp, 'metric'));
    if (first === 'object') crossVersionObjectReference(r, src.describedObject, childPath(sp, 'describedObject'));
    const t = metricTarget(r, src.target, childPath(sp, 'target'));
    if (first === 'pods' && (t.averageValue === undefined || t.averageValue === null)) r.add(required(childPath(sp, 'target', 'averageValue'), 'must specify a positive target averageValue'));
  }
}

function scalingRules(r: Reader, value: unknown, path: string): void {
  const rules = r.obj(value, path);
  if (!rules) return;
  const window = r.int(rules.stabilizationWindowSeconds, childPath(path, 'stabilizationWindowSeconds'));
  if (window !== undefined && window < 0) r.add(invalid(childPath(path, 'stabilizationWindowSeconds'), window, 'must be greater than or equal to zero'));
  if (window !== undefined && window > 3600) r.add(invalid(childPath(path, 'stabilizationWindowSeconds'), window, 'must be less than or equal to 3600'));
  const select = r.str(rules.selectPolicy, childPath(path, 'selectPolicy'));
  if (select !== undefined && !['Max', 'Min', 'Disabled'].includes(select)) r.add(notSupported(childPath(path, 'selectPolicy'), select, ['Max', 'Min', 'Disabled']));
  const policies = r.objList(rules.policies, childPath(path, 'policies'));
  if (policies.length === 0) r.add(required(childPath(path, 'policies'), 'must specify at least one Policy'));
  for (const { item, path: p } of policies) {
    const type = r.str(item.type, childPath(p, 'type')) ?? '';
    if (type !== 'Pods' && type !== 'Percent') r.add(notSupported(childPath(p, 'type'), type, ['Pods', 'Percent']));
    const v = r.int(item.value, childPath(p, 'value')) ?? 0;
    if (v <= 0) r.add(invalid(childPath(p, 'value'), v, 'must be greater than zero'));
    const period = r.int(item.periodSeconds, childPath(p, 'periodSeconds')) ?? 0;
    if (period <= 0) r.add(invalid(childPath(p, 'periodSeconds'), period, 'must be greater than zero'));
    if (period > 1800) r.add(invalid(childPath(p, 'periodSeconds'), period, 'must be less than or equal to 1800'));
  }
}

export function validateHorizontalPodAutoscaler(r: Reader, hpa: JsonObject): void {
  validateObjectMeta(r, hpa.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(hpa.spec, 'spec') ?? {};
  const min = r.int(spec.minReplicas, 'spec.minReplicas');
  const max = r.int(spec.maxReplicas, 'spec.maxReplicas') ?? 0;
  if (min !== undefined && min < 1) r.add(invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < 1) r.add(invalid('spec.maxReplicas', max, 'must be greater than 0'));
  if (min !== undefined && max < min) r.add(invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  crossVersionObjectReference(r, spec.scaleTargetRef, 'spec.scaleTargetRef');
  for (const { item, path } of r.objList(spec.metrics, 'spec.metrics')) validateMetric(r, item, path);
  const behavior = r.obj(spec.behavior, 'spec.behavior');
  if (behavior) {
    scalingRules(r, behavior.scaleUp, 'spec.behavior.scaleUp');
    scalingRules(r, behavior.scaleDown, 'spec.behavior.scaleDown');
  }
}

export function validateHorizontalPodAutoscalerUpdate(r: Reader, hpa: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, hpa.metadata, old.metadata, 'metadata');
  validateHorizontalPodAutoscaler(r, hpa);
}
