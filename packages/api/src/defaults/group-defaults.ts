/**
 * Defaults of the smaller groups: autoscaling/v2 HorizontalPodAutoscaler,
 * rbac.authorization.k8s.io/v1 bindings and discovery.k8s.io/v1 EndpointSlice.
 */
import { child, defaultString, defaultValue, ensureChild, items, type JsonObject } from './fields';

export const DEFAULT_CPU_UTILIZATION = 80;

const scaleUpRules = (): JsonObject => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
});

const scaleDownRules = (): JsonObject => ({
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

/** GenerateHPAScale{Up,Down}Rules: the defaults, overridden by every field the user set. */
function scalingRules(given: unknown, defaults: JsonObject): JsonObject {
  const out = defaults;
  const g = given && typeof given === 'object' && !Array.isArray(given) ? (given as JsonObject) : undefined;
  if (!g) return out;
  for (const k of ['selectPolicy', 'stabilizationWindowSeconds', 'policies']) {
    if (g[k] !== undefined && g[k] !== null) out[k] = g[k];
  }
  for (const [k, v] of Object.entries(g)) if (!(k in out)) out[k] = v;
  return out;
}

export function defaultHorizontalPodAutoscaler(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultValue(spec, 'minReplicas', 1);
  if (spec.metrics === undefined || spec.metrics === null || (Array.isArray(spec.metrics) && spec.metrics.length === 0)) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  const behavior = child(spec, 'behavior');
  if (behavior) {
    behavior.scaleUp = scalingRules(behavior.scaleUp, scaleUpRules());
    behavior.scaleDown = scalingRules(behavior.scaleDown, scaleDownRules());
  }
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** RoleBinding and ClusterRoleBinding: roleRef and subjects get their API group. */
export function defaultRoleBinding(o: JsonObject): void {
  const roleRef = child(o, 'roleRef');
  if (roleRef) defaultString(roleRef, 'apiGroup', RBAC_GROUP);
  for (const s of items(o, 'subjects')) {
    if (typeof s.apiGroup === 'string' && s.apiGroup !== '') continue;
    if (s.kind === 'ServiceAccount') s.apiGroup = '';
    else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
  }
}

export function defaultEndpointSlice(o: JsonObject): void {
  for (const p of items(o, 'ports')) {
    defaultValue(p, 'name', '');
    defaultValue(p, 'protocol', 'TCP');
  }
}
