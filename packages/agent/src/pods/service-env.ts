import type { Pod, Service } from 'kubernetes-types/core/v1';

/** Services whose variables every pod gets from the default namespace, even with enableServiceLinks false. */
const MASTER_SERVICES = new Set(['kubernetes']);

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** `my-svc` -> `MY_SVC` (the kubelet's makeEnvVariableName). */
export function envVariableName(serviceName: string): string {
  return serviceName.toUpperCase().replace(/-/g, '_');
}

function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The service environment variables of a pod, as the kubelet's
 * getServiceEnvVarMap + envvars.FromServices make them: for each service with
 * a cluster IP in the pod's namespace (when enableServiceLinks is not false),
 * plus the master service `kubernetes` of the default namespace (always):
 *
 *   NAME_SERVICE_HOST=10.96.0.20   NAME_SERVICE_PORT=80   NAME_SERVICE_PORT_<PORTNAME>=80
 *   NAME_PORT=tcp://10.96.0.20:80  (the first port)
 *   NAME_PORT_80_TCP=tcp://10.96.0.20:80  NAME_PORT_80_TCP_PROTO=tcp
 *   NAME_PORT_80_TCP_PORT=80       NAME_PORT_80_TCP_ADDR=10.96.0.20
 *
 * A service of the pod's namespace wins over a same-named master service.
 */
export function serviceEnvVars(pod: Pod, services: Iterable<Service>): Map<string, string> {
  const ns = pod.metadata?.namespace || 'default';
  const links = pod.spec?.enableServiceLinks !== false;
  const chosen = new Map<string, Service>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const name = s.metadata?.name ?? '';
    const sns = s.metadata?.namespace || 'default';
    if (sns === ns && links) chosen.set(name, s);
    else if (sns === 'default' && MASTER_SERVICES.has(name) && !chosen.has(name)) chosen.set(name, s);
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) {
    const s = chosen.get(name)!;
    const ip = s.spec!.clusterIP!;
    const base = envVariableName(name);
    const ports = s.spec?.ports ?? [];
    out.set(`${base}_SERVICE_HOST`, ip);
    if (ports[0]) out.set(`${base}_SERVICE_PORT`, String(ports[0].port));
    for (const p of ports) if (p.name) out.set(`${base}_SERVICE_PORT_${envVariableName(p.name)}`, String(p.port));
    ports.forEach((p, i) => {
      const proto = (p.protocol ?? 'TCP').toLowerCase();
      const url = `${proto}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.set(`${base}_PORT`, url);
      const prefix = `${base}_PORT_${p.port}_${proto.toUpperCase()}`;
      out.set(prefix, url);
      out.set(`${prefix}_PROTO`, proto);
      out.set(`${prefix}_PORT`, String(p.port));
      out.set(`${prefix}_ADDR`, ip);
    });
  }
  return out;
}

/**
 * The Services the agent knows (every node gets all of them on the assignment
 * stream), for service environment variables. Implements the listener shape
 * of network/ServiceFeed; only services matter here.
 */
export class ServiceCache {
  private readonly services = new Map<string, Service>();

  private static key(s: Service): string {
    return `${s.metadata?.namespace || 'default'}/${s.metadata?.name ?? ''}`;
  }

  updateService(s: Service): void { this.services.set(ServiceCache.key(s), s); }
  deleteService(s: Service): void { this.services.delete(ServiceCache.key(s)); }
  updateEndpointSlice(): void { /* not needed for env */ }
  deleteEndpointSlice(): void { /* not needed for env */ }
  updateEndpoints(): void { /* not needed for env */ }
  deleteEndpoints(): void { /* not needed for env */ }

  /** The service variables for a pod (see serviceEnvVars). */
  envFor(pod: Pod): Map<string, string> {
    return serviceEnvVars(pod, this.services.values());
  }
}
