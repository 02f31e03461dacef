import { fieldErr, FieldError, StatusError, isPlainObject } from '@skiff/api';
import type { EtcdStorage, SideEffect } from '../storage/etcd-storage';

export interface ServiceRanges {
  /** e.g. 10.96.0.0/12 */
  serviceCIDR: string;
  nodePortRange: [number, number];
}

export const DEFAULT_RANGES: ServiceRanges = { serviceCIDR: '10.96.0.0/12', nodePortRange: [30000, 32767] };

const IP_PREFIX = '/registry/ranges/serviceips/';
const PORT_PREFIX = '/registry/ranges/servicenodeports/';

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (Math.floor(n / 2 ** s) % 256).toString()).join('.');
}

export function parseCIDR(cidr: string): { base: number; size: number } {
  const [ip, bits] = cidr.split('/');
  const base = ipToInt(ip ?? '');
  const b = Number(bits);
  if (base === undefined || !Number.isInteger(b) || b < 8 || b > 30) throw new Error(`invalid CIDR ${cidr}`);
  const size = 2 ** (32 - b);
  return { base: base - (base % size), size };
}

/** The first usable address of the service range: where the `kubernetes` service lives. */
export function firstServiceIP(cidr: string): string {
  return intToIp(parseCIDR(cidr).base + 1);
}

type Svc = { spec?: Record<string, unknown> };

function portsOf(svc: Svc): Record<string, unknown>[] {
  const ports = svc.spec?.ports;
  return Array.isArray(ports) ? ports.filter(isPlainObject) : [];
}

function wantsNodePorts(svc: Svc): boolean {
  const t = svc.spec?.type;
  return t === 'NodePort' || t === 'LoadBalancer';
}

function clusterIPsOf(svc: Svc | undefined): string[] {
  const ip = svc?.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None' ? [ip] : [];
}

function nodePortsOf(svc: Svc | undefined): number[] {
  if (!svc || !wantsNodePorts(svc)) return [];
  return portsOf(svc).map((p) => p.nodePort).filter((n): n is number => typeof n === 'number' && n > 0);
}

/**
 * Allocates cluster IPs and node ports for a service. Allocations are keys in etcd written in
 * the same transaction as the service (mustNotExist), so two writers can never share one.
 */
export class ServiceAllocator {
  private readonly ipRange: { base: number; size: number };

  constructor(private readonly storage: EtcdStorage, readonly ranges: ServiceRanges = DEFAULT_RANGES) {
    this.ipRange = parseCIDR(ranges.serviceCIDR);
  }

  private async used(prefix: string): Promise<Set<string>> {
    const res = await this.storage.range(prefix);
    return new Set(res.items.map((i) => i.key.slice(prefix.length)));
  }

  /**
   * Fills in spec.clusterIP(s) and node ports (mutating svc) and returns the allocation writes.
   * `old` is the stored service on update.
   */
  async allocate(svc: Svc & { metadata: { name?: string } }, old?: Svc): Promise<SideEffect[]> {
    const spec = (svc.spec ??= {});
    const effects: SideEffect[] = [];
    const errors: FieldError[] = [];
    const type = spec.type ?? 'ClusterIP';

    // Cluster IP.
    if (type === 'ExternalName') {
      if (old === undefined) { delete spec.clusterIP; delete spec.clusterIPs; }
    } else if (old && clusterIPsOf(old).length > 0 && (spec.clusterIP === undefined || spec.clusterIP === '' || spec.clusterIP === clusterIPsOf(old)[0])) {
      spec.clusterIP = clusterIPsOf(old)[0];
      spec.clusterIPs = [spec.clusterIP];
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
    } else if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '') {
      const n = ipToInt(spec.clusterIP);
      if (n === undefined) {
        errors.push(fieldErr.invalid('spec.clusterIPs[0]', spec.clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
      } else if (n <= this.ipRange.base || n >= this.ipRange.base + this.ipRange.size - 1) {
        errors.push(fieldErr.invalid('spec.clusterIPs', [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.ranges.serviceCIDR}`));
      } else if ((await this.used(IP_PREFIX)).has(spec.clusterIP)) {
        errors.push(fieldErr.invalid('spec.clusterIPs', [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`));
      } else {
        effects.push({ key: IP_PREFIX + spec.clusterIP, value: svcRef(svc), mustNotExist: true });
      }
      spec.clusterIPs = [spec.clusterIP];
    } else {
      const used = await this.used(IP_PREFIX);
      const ip = this.pickIP(used);
      if (!ip) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a serviceIP: range is full');
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
      effects.push({ key: IP_PREFIX + ip, value: svcRef(svc), mustNotExist: true });
    }
    for (const ip of clusterIPsOf(old)) {
      if (!clusterIPsOf(svc).includes(ip)) effects.push({ key: IP_PREFIX + ip });
    }

    // Node ports.
    const oldPorts = new Set(nodePortsOf(old));
    const newPorts = new Set<number>();
    if (wantsNodePorts(svc)) {
      let used: Set<string> | undefined;
      const [lo, hi] = this.ranges.nodePortRange;
      const ports = portsOf(svc);
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i]!;
        if (typeof p.nodePort === 'number' && p.nodePort > 0) {
          const np = p.nodePort;
          if (np < lo || np > hi) {
            errors.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, np, `provided port is not in the valid range. The range of valid ports is ${lo}-${hi}`));
            continue;
          }
          if (newPorts.has(np)) { errors.push(fieldErr.duplicate(`spec.ports[${i}].nodePort`, np)); continue; }
          newPorts.add(np);
          if (oldPorts.has(np)) continue;
          used ??= await this.used(PORT_PREFIX);
          if (used.has(String(np))) {
            errors.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, np, 'provided port is already allocated'));
            continue;
          }
          effects.push({ key: PORT_PREFIX + np, value: svcRef(svc), mustNotExist: true });
        } else {
          // Keep the node port an updated service already had for the same port.
          const prev = old ? portsOf(old).find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && typeof q.nodePort === 'number') : undefined;
          if (prev && typeof prev.nodePort === 'number' && oldPorts.has(prev.nodePort) && !newPorts.has(prev.nodePort)) {
            p.nodePort = prev.nodePort;
            newPorts.add(prev.nodePort);
            continue;
          }
          used ??= await this.used(PORT_PREFIX);
          const np = this.pickPort(used, newPorts);
          if (np === undefined) throw new StatusError(500, 'InternalError', 'Internal error occurred: failed to allocate a nodePort: range is full');
          p.nodePort = np;
          newPorts.add(np);
          effects.push({ key: PORT_PREFIX + np, value: svcRef(svc), mustNotExist: true });
        }
      }
    } else {
      for (const p of portsOf(svc)) delete p.nodePort;
    }
    for (const np of oldPorts) if (!newPorts.has(np)) effects.push({ key: PORT_PREFIX + np });

    if (errors.length) throw StatusError.invalid('Service', String(svc.metadata.name ?? ''), errors);
    return effects;
  }

  /** The writes that free everything a deleted service held. */
  release(svc: Svc): SideEffect[] {
    return [
      ...clusterIPsOf(svc).map((ip) => ({ key: IP_PREFIX + ip })),
      ...nodePortsOf(svc).map((p) => ({ key: PORT_PREFIX + p })),
    ];
  }

  private pickIP(used: Set<string>): string | undefined {
    // Skip network, .1 (kubernetes service), the first 16 (static addresses such as DNS) and broadcast.
    const first = this.ipRange.base + 16;
    const count = this.ipRange.size - 17;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const ip = intToIp(first + ((start + i) % count));
      if (!used.has(ip)) return ip;
    }
    return undefined;
  }

  private pickPort(used: Set<string>, taken: Set<number>): number | undefined {
    const [lo, hi] = this.ranges.nodePortRange;
    const count = hi - lo + 1;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const p = lo + ((start + i) % count);
      if (!used.has(String(p)) && !taken.has(p)) return p;
    }
    return undefined;
  }
}

function svcRef(svc: { metadata: { name?: string; namespace?: string } }): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
}
