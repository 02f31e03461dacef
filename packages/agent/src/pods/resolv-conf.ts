import type { Pod } from 'kubernetes-types/core/v1';

export interface DnsSettings {
  /** The cluster DNS service addresses (e.g. 10.96.0.10); empty: none configured. */
  clusterDNS: string[];
  clusterDomain: string;
  /** The node's own resolv.conf, for dnsPolicy Default and as the fallback. */
  hostResolvConf: string;
}

interface Resolv { nameservers: string[]; searches: string[]; options: string[] }

function parse(text: string): Resolv {
  const r: Resolv = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) r.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') r.searches = rest;
    else if (key === 'options') r.options.push(...rest);
  }
  return r;
}

function mergeOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const out = new Map<string, string>();
  for (const o of base) { const [k, v] = o.split(':', 2); out.set(k!, v === undefined ? k! : `${k}:${v}`); }
  for (const o of extra) if (o.name) out.set(o.name, o.value !== undefined ? `${o.name}:${o.value}` : o.name);
  return [...out.values()];
}

/** The pod's resolv.conf as the kubelet's DNS configurer writes it for its dnsPolicy and dnsConfig. */
export function renderResolvConf(pod: Pod, dns: DnsSettings): string {
  const ns = pod.metadata?.namespace ?? 'default';
  const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  const host = parse(dns.hostResolvConf);
  let r: Resolv;
  const clusterFirst = policy === 'ClusterFirst' || (policy === 'ClusterFirstWithHostNet');
  const useCluster = dns.clusterDNS.length > 0 && clusterFirst && !(policy === 'ClusterFirst' && pod.spec?.hostNetwork);
  if (policy === 'None') r = { nameservers: [], searches: [], options: [] };
  else if (useCluster) {
    const d = dns.clusterDomain;
    r = { nameservers: [...dns.clusterDNS], searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  } else r = host;
  const cfg = pod.spec?.dnsConfig;
  if (cfg) {
    r = {
      nameservers: [...new Set([...r.nameservers, ...(cfg.nameservers ?? [])])].slice(0, 3),
      searches: [...new Set([...r.searches, ...(cfg.searches ?? [])])].slice(0, 32),
      options: mergeOptions(r.options, cfg.options ?? []),
    };
  }
  const lines: string[] = [];
  if (r.searches.length) lines.push(`search ${r.searches.join(' ')}`);
  for (const n of r.nameservers) lines.push(`nameserver ${n}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}
