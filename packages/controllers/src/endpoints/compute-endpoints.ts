import type { KObject } from '@skiff/api';
import { createHash } from 'node:crypto';
import { isPodReady, isPodTerminal } from '../common/pod-state';

export interface EndpointPort { name?: string; port: number; protocol: string; appProtocol?: string }
export interface EndpointAddress { ip: string; nodeName?: string; hostname?: string; targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string } }
export interface EndpointSubset { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: EndpointPort[] }

interface ServicePort { name?: string; port: number; protocol?: string; targetPort?: number | string; appProtocol?: string }
interface ServiceSpec { selector?: Record<string, string>; ports?: ServicePort[]; clusterIP?: string; publishNotReadyAddresses?: boolean }
interface PodSpecLike { nodeName?: string; hostname?: string; subdomain?: string; containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] }

/** A service's targetPort on one pod: a number as is, a name looked up in the pod's container ports. */
export function resolveTargetPort(sp: ServicePort, pod: KObject): number | undefined {
  const tp = sp.targetPort ?? sp.port;
  if (typeof tp === 'number') return tp;
  if (/^\d+$/.test(tp)) return Number(tp);
  const proto = sp.protocol ?? 'TCP';
  for (const c of (pod.spec as PodSpecLike | undefined)?.containers ?? []) {
    for (const p of c.ports ?? []) if (p.name === tp && (p.protocol ?? 'TCP') === proto) return p.containerPort;
  }
  return undefined;
}

export interface PodEndpoint {
  pod: KObject;
  ip: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  ports: EndpointPort[];
}

/** The pods behind a service with their resolved ports (terminating pods included, flagged). */
export function podEndpoints(svc: KObject, pods: KObject[]): PodEndpoint[] {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!ip || isPodTerminal(pod)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of spec.ports ?? []) {
      const port = resolveTargetPort(sp, pod);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    if ((spec.ports ?? []).length > 0 && ports.length === 0) continue;
    const podReady = isPodReady(pod);
    const terminating = !!pod.metadata.deletionTimestamp;
    out.push({ pod, ip, ready: (podReady && !terminating) || !!spec.publishNotReadyAddresses, serving: podReady, terminating, ports });
  }
  return out.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

function address(svc: KObject, e: PodEndpoint): EndpointAddress {
  const ps = (e.pod.spec ?? {}) as PodSpecLike;
  const a: EndpointAddress = { ip: e.ip, targetRef: { kind: 'Pod', namespace: e.pod.metadata.namespace!, name: e.pod.metadata.name!, uid: e.pod.metadata.uid! } };
  if (ps.nodeName) a.nodeName = ps.nodeName;
  if (ps.hostname && ps.subdomain === svc.metadata.name) a.hostname = ps.hostname;
  return a;
}

const portsKey = (ports: EndpointPort[]): string => JSON.stringify([...ports].sort((a, b) => `${a.name}/${a.port}/${a.protocol}`.localeCompare(`${b.name}/${b.port}/${b.protocol}`)));

/** core/v1 Endpoints subsets: addresses grouped by identical port sets (terminating pods left out). */
export function computeSubsets(svc: KObject, eps: PodEndpoint[]): EndpointSubset[] {
  const groups = new Map<string, EndpointSubset>();
  for (const e of eps) {
    if (e.terminating && !(svc.spec as ServiceSpec).publishNotReadyAddresses) continue;
    const k = portsKey(e.ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports: JSON.parse(k) as EndpointPort[] }));
    const list = e.ready ? (g.addresses ??= []) : (g.notReadyAddresses ??= []);
    list.push(address(svc, e));
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => {
    if (g.ports && g.ports.length === 0) delete g.ports;
    return g;
  });
}

export interface SliceSpec {
  name: string;
  addressType: 'IPv4' | 'IPv6';
  endpoints: { addresses: string[]; conditions: { ready: boolean; serving: boolean; terminating: boolean }; nodeName?: string; hostname?: string; targetRef: EndpointAddress['targetRef'] }[];
  ports: EndpointPort[];
}

/** discovery.k8s.io/v1 EndpointSlices: one per (address family, port set), named `<service>-<hash>`. */
export function computeSlices(svc: KObject, eps: PodEndpoint[]): SliceSpec[] {
  const groups = new Map<string, SliceSpec>();
  for (const e of eps) {
    const family = e.ip.includes(':') ? 'IPv6' : 'IPv4';
    const k = `${family}|${portsKey(e.ports)}`;
    let g = groups.get(k);
    if (!g) {
      const hash = createHash('sha256').update(k).digest('hex').slice(0, 5);
      groups.set(k, (g = { name: `${svc.metadata.name}-${hash}`, addressType: family, endpoints: [], ports: JSON.parse(k.slice(k.indexOf('|') + 1)) as EndpointPort[] }));
    }
    const a = address(svc, e);
    g.endpoints.push({ addresses: [e.ip], conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating }, ...(a.nodeName ? { nodeName: a.nodeName } : {}), ...(a.hostname ? { hostname: a.hostname } : {}), targetRef: a.targetRef });
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}
