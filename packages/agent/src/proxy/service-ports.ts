import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';

/**
 * What the proxy programs, as plain data: one entry per (service, port),
 * with the endpoints that port may use already chosen. Pure; both the rule
 * renderer and the proxier's conntrack clean-up read it.
 */

export type { EndpointSlice };

export type ProxyProtocol = 'tcp' | 'udp' | 'sctp';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  /** On this node (nodeName matches). */
  local: boolean;
}

export interface ServicePortInfo {
  /** `ns/name` */
  serviceKey: string;
  /** `ns/name:port` or `ns/name` for an unnamed port (kube-proxy's ServicePortName). */
  name: string;
  protocol: ProxyProtocol;
  clusterIP: string;
  port: number;
  /** 0 when the service has none. */
  nodePort: number;
  externalIPs: string[];
  /** ClientIP session affinity timeout in seconds; 0 = no affinity. */
  affinitySeconds: number;
  externalLocal: boolean;
  internalLocal: boolean;
  /** Usable endpoints: ready ones, or serving+terminating ones when none is ready. Sorted. */
  clusterEndpoints: ProxyEndpoint[];
  /** The same choice among this node's endpoints. */
  localEndpoints: ProxyEndpoint[];
}

export interface ProxyState {
  services: Service[];
  /** discovery.k8s.io/v1; when a service has slices, its Endpoints object is ignored. */
  endpointSlices?: EndpointSlice[];
  /** core/v1 Endpoints, used for services without slices. */
  endpoints?: Endpoints[];
}

interface Candidate { ip: string; port: number; nodeName: string; ready: boolean; serving: boolean; terminating: boolean }

const DEFAULT_AFFINITY_SECONDS = 10800;

function proto(p: string | undefined): ProxyProtocol | undefined {
  const v = (p ?? 'TCP').toLowerCase();
  return v === 'tcp' || v === 'udp' || v === 'sctp' ? v : undefined;
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

export function isIPv4(ip: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip) && ip.split('.').every((o) => Number(o) <= 255);
}

function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  return ipv4Number(a.ip) - ipv4Number(b.ip) || a.port - b.port;
}

/** kube-proxy's CategorizeEndpoints without topology: ready ones, else serving+terminating. */
function usable(cands: Candidate[], nodeName: string): ProxyEndpoint[] {
  const ready = cands.filter((c) => c.ready);
  const chosen = ready.length ? ready : cands.filter((c) => c.serving && c.terminating);
  return chosen.map((c) => ({ ip: c.ip, port: c.port, local: c.nodeName !== '' && c.nodeName === nodeName })).sort(compareEndpoints);
}

function serviceKey(ns: string | undefined, name: string | undefined): string {
  return `${ns || 'default'}/${name ?? ''}`;
}

/** Endpoint candidates per service key and port (`<portName>/<protocol>`), deduplicated by ip:port. */
function collectCandidates(state: ProxyState): Map<string, Map<string, Map<string, Candidate>>> {
  const out = new Map<string, Map<string, Map<string, Candidate>>>();
  const add = (svc: string, portName: string, protocol: ProxyProtocol, c: Candidate): void => {
    let ports = out.get(svc);
    if (!ports) out.set(svc, (ports = new Map()));
    const pk = `${portName}/${protocol}`;
    let eps = ports.get(pk);
    if (!eps) ports.set(pk, (eps = new Map()));
    const id = `${c.ip}:${c.port}`;
    const prev = eps.get(id);
    // The same address in two slices (during a move): the readier entry wins.
    if (!prev || (c.ready && !prev.ready)) eps.set(id, c);
  };
  const withSlices = new Set<string>();
  for (const s of state.endpointSlices ?? []) {
    const svcName = s.metadata?.labels?.['kubernetes.io/service-name'];
    if (!svcName || s.addressType !== 'IPv4') continue;
    const key = serviceKey(s.metadata?.namespace, svcName);
    withSlices.add(key);
    for (const p of s.ports ?? []) {
      const protocol = proto(p.protocol);
      if (!protocol || p.port === undefined) continue;
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses[0];
        if (!ip || !isIPv4(ip)) continue;
        const ready = e.conditions?.ready ?? true;
        add(key, p.name ?? '', protocol, {
          ip, port: p.port, nodeName: e.nodeName ?? '', ready,
          serving: e.conditions?.serving ?? ready, terminating: e.conditions?.terminating ?? false,
        });
      }
    }
  }
  for (const ep of state.endpoints ?? []) {
    const key = serviceKey(ep.metadata?.namespace, ep.metadata?.name);
    if (withSlices.has(key)) continue;
    for (const sub of ep.subsets ?? []) {
      for (const p of sub.ports ?? []) {
        const protocol = proto(p.protocol);
        if (!protocol) continue;
        for (const a of sub.addresses ?? []) {
          if (isIPv4(a.ip)) add(key, p.name ?? '', protocol, { ip: a.ip, port: p.port, nodeName: a.nodeName ?? '', ready: true, serving: true, terminating: false });
        }
        for (const a of sub.notReadyAddresses ?? []) {
          if (isIPv4(a.ip)) add(key, p.name ?? '', protocol, { ip: a.ip, port: p.port, nodeName: a.nodeName ?? '', ready: false, serving: false, terminating: false });
        }
      }
    }
  }
  return out;
}

/**
 * The service ports the proxy programs, sorted by name then protocol.
 * Skipped: headless and ExternalName services, services without a ClusterIP yet,
 * IPv6 and protocols other than TCP/UDP/SCTP. Named target ports need no work
 * here: the endpoint port numbers come from the slice (or subset) port whose
 * name matches the service port, which the endpoints controller resolved per pod.
 */
export function servicePorts(state: ProxyState, nodeName: string): ServicePortInfo[] {
  const cands = collectCandidates(state);
  const out: ServicePortInfo[] = [];
  for (const svc of state.services) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP ?? '';
    if (!clusterIP || clusterIP === 'None' || !isIPv4(clusterIP)) continue;
    const key = serviceKey(svc.metadata?.namespace, svc.metadata?.name);
    const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    for (const sp of spec.ports ?? []) {
      const protocol = proto(sp.protocol);
      if (!protocol) continue;
      const portName = sp.name ?? '';
      const eps = [...(cands.get(key)?.get(`${portName}/${protocol}`)?.values() ?? [])];
      out.push({
        serviceKey: key,
        name: portName ? `${key}:${portName}` : key,
        protocol,
        clusterIP,
        port: sp.port,
        nodePort: withNodePorts ? sp.nodePort ?? 0 : 0,
        externalIPs: (spec.externalIPs ?? []).filter(isIPv4),
        affinitySeconds: spec.sessionAffinity === 'ClientIP' ? spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS : 0,
        externalLocal: spec.externalTrafficPolicy === 'Local' && (withNodePorts || (spec.externalIPs ?? []).length > 0),
        internalLocal: spec.internalTrafficPolicy === 'Local',
        clusterEndpoints: usable(eps, nodeName),
        localEndpoints: usable(eps.filter((c) => c.nodeName !== '' && c.nodeName === nodeName), nodeName),
      });
    }
  }
  return out.sort(compareServicePorts);
}

/** The order of servicePorts(): by port name, then protocol. */
export function compareServicePorts(a: ServicePortInfo, b: ServicePortInfo): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}
