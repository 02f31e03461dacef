/** Service validation (ValidateService / ValidateServiceUpdate), plus the NodePort range the allocator enforces. */
import type { JsonObject } from '../object';
import {
  childPath, duplicate, duplicateRaw, forbidden, indexPath, invalid, invalidRaw, notSupported, required,
} from './field-errors';
import { goIntOrString, goQuote, goStringSlice } from './go-format';
import {
  isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidPortName, isValidPortNum, nameIsDNS1035Label,
} from './name-rules';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { peek, type Reader } from './typed-read';

export interface ServiceValidationOptions {
  /** The NodePort range, inclusive; Kubernetes' default is 30000-32767. */
  nodePortRange?: readonly [number, number];
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const KUBELET_PORT = 10250;
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;

function clusterIPsOf(spec: JsonObject): string[] {
  const ips = peek.arr(spec.clusterIPs)?.filter((x): x is string => typeof x === 'string') ?? [];
  if (ips.length > 0) return ips;
  const ip = peek.str(spec.clusterIP) ?? '';
  return ip ? [ip] : [];
}

function renderServicePortKey(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:${goIntOrString(0)}, NodePort:0}`;
}

export function validateService(r: Reader, svc: JsonObject, opts: ServiceValidationOptions = {}): void {
  const [lo, hi] = opts.nodePortRange ?? [30000, 32767];
  validateObjectMeta(r, svc.metadata, 'metadata', nameIsDNS1035Label);
  const spec = r.obj(svc.spec, 'spec') ?? {};
  const type = r.str(spec.type, 'spec.type');
  const effectiveType = type || 'ClusterIP';
  r.str(spec.clusterIP, 'spec.clusterIP');
  r.strList(spec.clusterIPs, 'spec.clusterIPs');
  const clusterIPs = clusterIPsOf(spec);
  const headless = clusterIPs[0] === 'None';
  const ports = r.objList(spec.ports, 'spec.ports');

  if (ports.length === 0 && !headless && effectiveType !== 'ExternalName') r.add(required('spec.ports'));
  if (effectiveType === 'LoadBalancer') {
    for (const { item, path } of ports) {
      if (peek.int(item.port) === KUBELET_PORT) r.add(invalid(path, KUBELET_PORT, `may not expose port ${KUBELET_PORT} externally since it is used by kubelet`));
    }
    if (headless) r.add(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
  } else if (effectiveType === 'NodePort') {
    if (headless) r.add(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  } else if (effectiveType === 'ExternalName') {
    if (clusterIPs.length > 0) r.add(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if ((peek.arr(spec.ipFamilies) ?? []).length > 0) r.add(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) r.add(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (r.str(spec.externalName, 'spec.externalName') ?? '').replace(/\.$/, '');
    if (cname) for (const m of isDNS1123Subdomain(cname)) r.add(invalid('spec.externalName', cname, m));
    else r.add(required('spec.externalName'));
  }

  const names = new Set<string>();
  for (const { item, path } of ports) {
    const name = r.str(item.name, childPath(path, 'name')) ?? '';
    if (ports.length > 1 && !name) r.add(required(childPath(path, 'name')));
    else if (name) {
      for (const m of isDNS1123Label(name)) r.add(invalid(childPath(path, 'name'), name, m));
      if (names.has(name)) r.add(duplicate(childPath(path, 'name'), name));
      else names.add(name);
    }
    const port = r.int(item.port, childPath(path, 'port')) ?? 0;
    for (const m of isValidPortNum(port)) r.add(invalid(childPath(path, 'port'), port, m));
    const protocol = r.str(item.protocol, childPath(path, 'protocol'));
    if (protocol === '') r.add(required(childPath(path, 'protocol')));
    else if (protocol !== undefined && !PROTOCOLS.includes(protocol)) r.add(notSupported(childPath(path, 'protocol'), protocol, PROTOCOLS));
    const target = r.intOrStr(item.targetPort, childPath(path, 'targetPort'));
    if (typeof target === 'number') for (const m of isValidPortNum(target)) r.add(invalid(childPath(path, 'targetPort'), target, m));
    else if (typeof target === 'string') for (const m of isValidPortName(target)) r.add(invalid(childPath(path, 'targetPort'), target, m));
    const appProtocol = r.str(item.appProtocol, childPath(path, 'appProtocol'));
    if (appProtocol !== undefined) for (const m of isQualifiedName(appProtocol)) r.add(invalid(childPath(path, 'appProtocol'), appProtocol, m));
    r.int(item.nodePort, childPath(path, 'nodePort'));
  }

  validateLabels(r, spec.selector, 'spec.selector');

  const affinity = r.str(spec.sessionAffinity, 'spec.sessionAffinity');
  if (affinity !== undefined && affinity !== '' && affinity !== 'ClientIP' && affinity !== 'None') {
    r.add(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  }
  const affinityConfig = r.obj(spec.sessionAffinityConfig, 'spec.sessionAffinityConfig');
  if (affinity === 'ClientIP') {
    const clientIP = affinityConfig && r.obj(affinityConfig.clientIP, 'spec.sessionAffinityConfig.clientIP');
    const timeout = clientIP ? r.int(clientIP.timeoutSeconds, 'spec.sessionAffinityConfig.clientIP.timeoutSeconds') : undefined;
    if (!affinityConfig) r.add(required('spec.sessionAffinityConfig', 'when session affinity type is ClientIP'));
    else if (!clientIP) r.add(required('spec.sessionAffinityConfig.clientIP', 'when session affinity type is ClientIP'));
    else if (timeout === undefined) r.add(required('spec.sessionAffinityConfig.clientIP.timeoutSeconds', 'when session affinity type is ClientIP'));
    else if (!(timeout > 0 && timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS)) {
      r.add(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`));
    }
  } else if ((affinity === 'None' || affinity === undefined || affinity === '') && affinityConfig) {
    r.add(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }

  const clusterIP = peek.str(spec.clusterIP) ?? '';
  const listed = peek.arr(spec.clusterIPs)?.filter((x): x is string => typeof x === 'string') ?? [];
  if (clusterIP && listed.length > 0 && listed[0] !== clusterIP) r.add(invalidRaw('spec.clusterIPs', goStringSlice(listed), 'first value must match `clusterIP`'));
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') return;
    const p = listed.length > 0 ? indexPath('spec.clusterIPs', i) : 'spec.clusterIP';
    if (ip === 'None') r.add(invalid(p, ip, "may only be set to 'None' for the first value"));
    else for (const m of isValidIP(ip)) r.add(invalid(p, ip, m));
  });
  if (clusterIPs.length > 2) r.add(invalidRaw('spec.clusterIPs', goStringSlice(clusterIPs), 'may only hold up to 2 values'));

  (r.strList(spec.externalIPs, 'spec.externalIPs') ?? []).forEach((ip, i) => {
    for (const m of isValidIP(ip)) r.add(invalid(indexPath('spec.externalIPs', i), ip, m));
  });

  if (type === '') r.add(required('spec.type'));
  else if (type !== undefined && !SERVICE_TYPES.includes(type)) r.add(notSupported('spec.type', type, SERVICE_TYPES));

  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  for (const { item, path } of ports) {
    const nodePort = peek.int(item.nodePort) ?? 0;
    const protocol = peek.str(item.protocol) || 'TCP';
    if (nodePort !== 0) {
      if (effectiveType === 'ClusterIP') r.add(forbidden(childPath(path, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else if (effectiveType === 'NodePort' || effectiveType === 'LoadBalancer') {
        if (nodePort < lo || nodePort > hi) {
          r.add(invalid(childPath(path, 'nodePort'), nodePort, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`));
        }
      }
      const key = `${protocol}/${nodePort}`;
      if (nodePorts.has(key)) r.add(duplicate(childPath(path, 'nodePort'), nodePort));
      nodePorts.add(key);
    }
    const port = peek.int(item.port) ?? 0;
    const key = `${protocol}/${port}`;
    if (portKeys.has(key)) r.add(duplicateRaw(path, renderServicePortKey(protocol, port)));
    portKeys.add(key);
  }

  const externalIPs = peek.arr(spec.externalIPs) ?? [];
  const externallyAccessible = effectiveType === 'LoadBalancer' || effectiveType === 'NodePort' || (effectiveType === 'ClusterIP' && externalIPs.length > 0);
  const etp = r.str(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy');
  if (!externallyAccessible) {
    if (etp) r.add(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (etp && etp !== 'Cluster' && etp !== 'Local') {
    r.add(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const healthCheckNodePort = r.int(spec.healthCheckNodePort, 'spec.healthCheckNodePort') ?? 0;
  if (healthCheckNodePort !== 0 && !(effectiveType === 'LoadBalancer' && etp === 'Local')) {
    r.add(invalid('spec.healthCheckNodePort', healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  const itp = r.str(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy');
  if (itp !== undefined && itp !== 'Cluster' && itp !== 'Local') r.add(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const families = r.strList(spec.ipFamilies, 'spec.ipFamilies') ?? [];
  families.forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') r.add(notSupported(indexPath('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
  });
  const policy = r.str(spec.ipFamilyPolicy, 'spec.ipFamilyPolicy');
  if (policy !== undefined && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(policy)) {
    r.add(notSupported('spec.ipFamilyPolicy', policy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
}

export function validateServiceUpdate(r: Reader, svc: JsonObject, old: JsonObject, opts: ServiceValidationOptions = {}): void {
  validateObjectMetaUpdate(r, svc.metadata, old.metadata, 'metadata');
  const spec = peek.obj(svc.spec) ?? {};
  const oldSpec = peek.obj(old.spec) ?? {};
  if (spec.type !== 'ExternalName' && oldSpec.type !== 'ExternalName') {
    const now = clusterIPsOf(spec);
    const before = clusterIPsOf(oldSpec);
    if (now.length > 0 && before.length > 0 && now[0] !== before[0]) {
      r.add(invalidRaw('spec.clusterIPs[0]', goStringSlice(now), 'may not change once set'));
    }
    const families = peek.arr(spec.ipFamilies) ?? [];
    const oldFamilies = peek.arr(oldSpec.ipFamilies) ?? [];
    if (families.length > 0 && oldFamilies.length > 0 && families[0] !== oldFamilies[0]) {
      r.add(invalid('spec.ipFamilies[0]', families[0], 'may not change once set'));
    }
  }
  validateService(r, svc, opts);
}
