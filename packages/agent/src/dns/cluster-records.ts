import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Answer } from 'dns-packet';

/**
 * The cluster's DNS records (the Kubernetes DNS spec, as CoreDNS serves it),
 * kept from Services and EndpointSlices (or Endpoints for services without
 * slices). lookup() is pure given the current objects.
 *
 *   <svc>.<ns>.svc.<zone>             A: ClusterIP, or the ready endpoint IPs of a headless service
 *                                     CNAME: externalName of an ExternalName service
 *   <host>.<svc>.<ns>.svc.<zone>      A: a headless endpoint by hostname (or dashed IP)
 *   _<port>._<proto>.<svc>.<ns>.svc.<zone>  SRV for named ports (one per endpoint when headless)
 *   a-b-c-d.<ns>.pod.<zone>           A: a-b-c-d as an address
 * Any other name in the zone is NXDOMAIN; a known name asked for another type is NODATA.
 */

export const DEFAULT_TTL = 5;

export interface LookupResult {
  /** 'forward': not a cluster name (ask the node's resolver). */
  rcode: 'NOERROR' | 'NXDOMAIN' | 'forward';
  answers: Answer[];
  additionals: Answer[];
}

interface HeadlessEndpoint { ip: string; hostname: string; ports: { name: string; protocol: string; port: number }[] }

function key(ns: string | undefined, name: string | undefined): string {
  return `${ns || 'default'}/${name ?? ''}`;
}

function dashed(ip: string): string {
  return ip.replace(/\./g, '-');
}

export class ClusterRecords {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly endpoints = new Map<string, Endpoints>();
  readonly zone: string;

  constructor(clusterDomain = 'cluster.local', readonly ttl = DEFAULT_TTL) {
    this.zone = clusterDomain.replace(/\.$/, '').toLowerCase();
  }

  updateService(s: Service): void { this.services.set(key(s.metadata?.namespace, s.metadata?.name), s); }
  deleteService(s: Service): void { this.services.delete(key(s.metadata?.namespace, s.metadata?.name)); }
  updateEndpointSlice(s: EndpointSlice): void { this.slices.set(key(s.metadata?.namespace, s.metadata?.name), s); }
  deleteEndpointSlice(s: EndpointSlice): void { this.slices.delete(key(s.metadata?.namespace, s.metadata?.name)); }
  updateEndpoints(e: Endpoints): void { this.endpoints.set(key(e.metadata?.namespace, e.metadata?.name), e); }
  deleteEndpoints(e: Endpoints): void { this.endpoints.delete(key(e.metadata?.namespace, e.metadata?.name)); }

  /** Ready endpoints of a service (headless answers), deduplicated by IP, sorted. */
  private readyEndpoints(svcKey: string): HeadlessEndpoint[] {
    const byIP = new Map<string, HeadlessEndpoint>();
    const [ns, name] = svcKey.split('/') as [string, string];
    const publishNotReady = this.services.get(svcKey)?.spec?.publishNotReadyAddresses === true;
    let fromSlices = false;
    for (const s of this.slices.values()) {
      if ((s.metadata?.namespace || 'default') !== ns || s.metadata?.labels?.['kubernetes.io/service-name'] !== name || s.addressType !== 'IPv4') continue;
      fromSlices = true;
      for (const e of s.endpoints ?? []) {
        const ip = e.addresses[0];
        if (!ip || (!publishNotReady && e.conditions?.ready === false)) continue;
        const ep = byIP.get(ip) ?? { ip, hostname: e.hostname ?? dashed(ip), ports: [] };
        for (const p of s.ports ?? []) if (p.port !== undefined) ep.ports.push({ name: p.name ?? '', protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port });
        byIP.set(ip, ep);
      }
    }
    if (!fromSlices) {
      for (const sub of this.endpoints.get(svcKey)?.subsets ?? []) {
        for (const a of [...(sub.addresses ?? []), ...(publishNotReady ? sub.notReadyAddresses ?? [] : [])]) {
          const ep = byIP.get(a.ip) ?? { ip: a.ip, hostname: a.hostname ?? dashed(a.ip), ports: [] };
          for (const p of sub.ports ?? []) ep.ports.push({ name: p.name ?? '', protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port });
          byIP.set(a.ip, ep);
        }
      }
    }
    return [...byIP.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  }

  private a(name: string, ip: string): Answer {
    return { name, type: 'A', class: 'IN', ttl: this.ttl, data: ip };
  }

  lookup(qname: string, qtype: string): LookupResult {
    const name = qname.replace(/\.$/, '').toLowerCase();
    const none: LookupResult = { rcode: 'NOERROR', answers: [], additionals: [] };
    const nx: LookupResult = { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) return { rcode: 'forward', answers: [], additionals: [] };
    const labels = name === this.zone ? [] : name.slice(0, -(this.zone.length + 1)).split('.');
    // Pods: a-b-c-d.<ns>.pod.<zone>
    if (labels.length === 3 && labels[2] === 'pod') {
      const ip = labels[0]!.replace(/-/g, '.');
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return nx;
      return qtype === 'A' ? { ...none, answers: [this.a(qname, ip)] } : none;
    }
    if (labels.at(-1) !== 'svc') return labels.length <= 2 && (labels.length === 0 || labels.at(-1) === 'pod' || labels.at(-1) === 'svc') ? none : nx;
    const rest = labels.slice(0, -1);
    if (rest.length === 0) return none;                     // svc.<zone>
    if (rest.length === 1) return this.namespaceExists(rest[0]!) ? none : nx; // <ns>.svc.<zone>
    if (rest.length === 2) return this.serviceName(qname, rest[1]!, rest[0]!, qtype);
    if (rest.length === 3) {
      const [a, svcName, ns] = rest as [string, string, string];
      return this.endpointName(qname, ns, svcName, a, qtype);
    }
    if (rest.length === 4 && rest[0]!.startsWith('_') && rest[1]!.startsWith('_')) {
      const [port, proto, svcName, ns] = rest as [string, string, string, string];
      return this.srv(qname, ns, svcName, port.slice(1), proto.slice(1), qtype);
    }
    return nx;
  }

  private namespaceExists(ns: string): boolean {
    for (const k of this.services.keys()) if (k.startsWith(`${ns}/`)) return true;
    return false;
  }

  private serviceName(qname: string, ns: string, svcName: string, qtype: string): LookupResult {
    const svc = this.services.get(`${ns}/${svcName}`);
    if (!svc?.spec) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    const out: LookupResult = { rcode: 'NOERROR', answers: [], additionals: [] };
    if (svc.spec.type === 'ExternalName') {
      if (svc.spec.externalName && (qtype === 'CNAME' || qtype === 'A' || qtype === 'AAAA')) {
        out.answers.push({ name: qname, type: 'CNAME', class: 'IN', ttl: this.ttl, data: svc.spec.externalName });
      }
      return out;
    }
    if (qtype !== 'A') return out;
    const clusterIP = svc.spec.clusterIP;
    if (clusterIP && clusterIP !== 'None') out.answers.push(this.a(qname, clusterIP));
    else for (const ep of this.readyEndpoints(`${ns}/${svcName}`)) out.answers.push(this.a(qname, ep.ip));
    return out;
  }

  private endpointName(qname: string, ns: string, svcName: string, host: string, qtype: string): LookupResult {
    const svc = this.services.get(`${ns}/${svcName}`);
    const headless = svc?.spec?.clusterIP === 'None';
    const ep = headless ? this.readyEndpoints(`${ns}/${svcName}`).find((e) => e.hostname === host) : undefined;
    if (!ep) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    return { rcode: 'NOERROR', answers: qtype === 'A' ? [this.a(qname, ep.ip)] : [], additionals: [] };
  }

  private srv(qname: string, ns: string, svcName: string, portName: string, proto: string, qtype: string): LookupResult {
    const svc = this.services.get(`${ns}/${svcName}`);
    const port = svc?.spec?.ports?.find((p) => p.name === portName && (p.protocol ?? 'TCP').toLowerCase() === proto);
    if (!svc?.spec || !port) return { rcode: 'NXDOMAIN', answers: [], additionals: [] };
    const out: LookupResult = { rcode: 'NOERROR', answers: [], additionals: [] };
    if (qtype !== 'SRV') return out;
    const svcFqdn = `${svcName}.${ns}.svc.${this.zone}`;
    if (svc.spec.clusterIP && svc.spec.clusterIP !== 'None') {
      out.answers.push({ name: qname, type: 'SRV', class: 'IN', ttl: this.ttl, data: { priority: 0, weight: 100, port: port.port, target: svcFqdn } });
      out.additionals.push(this.a(svcFqdn, svc.spec.clusterIP));
      return out;
    }
    for (const ep of this.readyEndpoints(`${ns}/${svcName}`)) {
      const p = ep.ports.find((x) => x.name === portName && x.protocol === proto);
      if (!p) continue;
      const target = `${ep.hostname}.${svcFqdn}`;
      out.answers.push({ name: qname, type: 'SRV', class: 'IN', ttl: this.ttl, data: { priority: 0, weight: 100, port: p.port, target } });
      out.additionals.push(this.a(target, ep.ip));
    }
    return out;
  }
}
