/** core/v1 defaults other than pods and volumes: Service, Secret, Namespace, Node, Endpoints, LimitRange. */
import { isPlainObject } from '../object';
import { child, defaultString, defaultValue, ensureChild, items, type JsonObject } from './fields';

export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

export function defaultService(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') {
    delete spec.sessionAffinityConfig;
  } else if (spec.sessionAffinity === 'ClientIP') {
    const cfg = child(spec, 'sessionAffinityConfig');
    const clientIP = cfg && child(cfg, 'clientIP');
    if (!clientIP || clientIP.timeoutSeconds === undefined || clientIP.timeoutSeconds === null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
    }
  }
  defaultString(spec, 'type', 'ClusterIP');
  for (const p of items(spec, 'ports')) {
    defaultString(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') {
      if (p.port !== undefined && p.port !== null) p.targetPort = p.port;
    }
  }
  const type = spec.type;
  const externalIPs = Array.isArray(spec.externalIPs) ? spec.externalIPs : [];
  const externallyAccessible = type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && externalIPs.length > 0);
  if (externallyAccessible) defaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') defaultValue(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') defaultValue(spec, 'allocateLoadBalancerNodePorts', true);
  // IP families are the registry's allocator's job in Kubernetes; a single-stack IPv4 cluster
  // gives every non-ExternalName service these (headless services without a selector ask for
  // dual-stack, which a single-stack cluster satisfies with its one family).
  if (type !== 'ExternalName') {
    const headless = spec.clusterIP === 'None' || (Array.isArray(spec.clusterIPs) && spec.clusterIPs[0] === 'None');
    const selectorless = !isPlainObject(spec.selector) || Object.keys(spec.selector).length === 0;
    defaultString(spec, 'ipFamilyPolicy', headless && selectorless ? 'RequireDualStack' : 'SingleStack');
    defaultValue(spec, 'ipFamilies', ['IPv4']);
  }
  const status = ensureChild(o, 'status');
  if (status) ensureChild(status, 'loadBalancer');
}

/** Secret: type Opaque, and stringData folded into data (base64), as conversion does. */
export function defaultSecret(o: JsonObject): void {
  defaultString(o, 'type', 'Opaque');
  const stringData = child(o, 'stringData');
  if (stringData) {
    const data = ensureChild(o, 'data');
    if (data) {
      for (const [k, v] of Object.entries(stringData)) {
        if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      }
      delete o.stringData;
    }
  }
}

export function defaultNamespace(o: JsonObject): void {
  const meta = ensureChild(o, 'metadata');
  if (meta && typeof meta.name === 'string' && meta.name.length > 0) {
    const labels = ensureChild(meta, 'labels');
    if (labels) labels['kubernetes.io/metadata.name'] = meta.name;
  }
  const spec = ensureChild(o, 'spec');
  if (spec) defaultValue(spec, 'finalizers', ['kubernetes']);
  const status = ensureChild(o, 'status');
  if (status) defaultString(status, 'phase', 'Active');
}

export function defaultNode(o: JsonObject): void {
  const status = child(o, 'status');
  if (!status) return;
  const capacity = child(status, 'capacity');
  if (capacity && (status.allocatable === undefined || status.allocatable === null)) status.allocatable = { ...capacity };
}

export function defaultEndpoints(o: JsonObject): void {
  for (const subset of items(o, 'subsets')) {
    for (const p of items(subset, 'ports')) defaultString(p, 'protocol', 'TCP');
  }
}

export function defaultLimitRange(o: JsonObject): void {
  const spec = child(o, 'spec');
  if (!spec) return;
  for (const item of items(spec, 'limits')) {
    if (item.type !== 'Container') continue;
    const def = ensureChild(item, 'default');
    const defReq = ensureChild(item, 'defaultRequest');
    if (!def || !defReq) continue;
    const max = child(item, 'max') ?? {};
    const min = child(item, 'min') ?? {};
    for (const [k, v] of Object.entries(max)) if (def[k] === undefined) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (defReq[k] === undefined) defReq[k] = v;
    for (const [k, v] of Object.entries(min)) if (defReq[k] === undefined) defReq[k] = v;
  }
}
