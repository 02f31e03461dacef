import type { IptablesRunner } from './iptables-runner';
import type { ServicePortInfo } from './service-ports';

/** One `conntrack -D` call, as its arguments. */
export type ConntrackDelete = string[];

function udpDestinations(sp: ServicePortInfo): string[][] {
  return [
    ['--orig-dst', sp.clusterIP],
    ...sp.externalIPs.map((ip) => ['--orig-dst', ip]),
    ...(sp.nodePort > 0 ? [['--orig-port-dst', String(sp.nodePort)]] : []),
  ];
}

/**
 * The stale UDP flows to drop after a sync (pure), as kube-proxy does:
 * a UDP endpoint that went away leaves conntrack entries that keep DNATing
 * to it (UDP has no close), and a UDP service that had no endpoints may hold
 * entries that were never DNATed.
 */
export function staleUdpFlows(before: ServicePortInfo[], after: ServicePortInfo[]): ConntrackDelete[] {
  const prev = new Map(before.filter((s) => s.protocol === 'udp').map((s) => [`${s.name}/${s.clusterIP}`, s]));
  const out: ConntrackDelete[] = [];
  for (const sp of after) {
    if (sp.protocol !== 'udp') continue;
    const old = prev.get(`${sp.name}/${sp.clusterIP}`);
    prev.delete(`${sp.name}/${sp.clusterIP}`);
    const now = new Set(sp.clusterEndpoints.map((e) => e.ip));
    if (old) {
      for (const ip of new Set(old.clusterEndpoints.map((e) => e.ip))) {
        if (now.has(ip)) continue;
        for (const d of udpDestinations(old)) out.push(['-D', '-p', 'udp', ...d, '--dst-nat', ip]);
      }
    }
    if ((!old || old.clusterEndpoints.length === 0) && sp.clusterEndpoints.length > 0) {
      for (const d of udpDestinations(sp)) out.push(['-D', '-p', 'udp', ...d]);
    }
  }
  for (const old of prev.values()) {
    for (const ip of new Set(old.clusterEndpoints.map((e) => e.ip))) {
      for (const d of udpDestinations(old)) out.push(['-D', '-p', 'udp', ...d, '--dst-nat', ip]);
    }
  }
  return out;
}

/** Runs `conntrack` deletions if the tool exists (Debian package `conntrack`). */
export class ConntrackCleaner {
  private available?: boolean;
  constructor(private readonly runner: IptablesRunner) {}

  async isAvailable(): Promise<boolean> {
    if (this.available === undefined) {
      this.available = await this.runner.exec('conntrack', ['--version']).then((r) => r.code === 0, () => false);
    }
    return this.available;
  }

  /** Exit status 1 means "nothing matched" and is not an error. Returns the failures' messages. */
  async run(deletes: ConntrackDelete[]): Promise<string[]> {
    if (!deletes.length || !(await this.isAvailable())) return [];
    const errors: string[] = [];
    for (const d of deletes) {
      const r = await this.runner.exec('conntrack', d);
      if (r.code !== 0 && r.code !== 1) errors.push(`conntrack ${d.join(' ')}: ${r.stderr.trim()}`);
    }
    return errors;
  }
}
