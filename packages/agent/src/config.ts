import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseFlagArgs } from '@skiff/api';

/** The one typed configuration of skiff-agent. */
export interface AgentConfig {
  /** State: `<home>/agent/` (credentials), `<home>/pods/<uid>/` (pod files). */
  home: string;
  /** host:port of the master's agent gateway. */
  join?: string;
  token?: string;
  caHash?: string;
  nodeName: string;
  /** Default: the local address on the route to the gateway. */
  nodeIP?: string;
  /** unix:///path, /path, or tcp://host:port; default DOCKER_HOST or /var/run/docker.sock. */
  dockerHost?: string;
  logFile?: string;
  /** The Docker network pod sandboxes join. */
  podNetwork: string;
  leaseDurationSeconds: number;
  leaseRenewIntervalMs: number;
  nodeStatusIntervalMs: number;
  /** Registries image pulls may use; empty allows any (SKIFF_ALLOWED_REGISTRIES sets the default). */
  allowedRegistries: string[];
  /** `iptables` programs services into this node's iptables; `none` (default) leaves them alone. */
  proxyMode: 'iptables' | 'none';
  serviceCIDR: string;
  clusterCIDR: string;
  podCIDR?: string;
  clusterDomain: string;
  /** host:port the node's DNS server listens on (with proxy mode iptables); unset: no DNS server. */
  dnsListen?: string;
  clusterDNS: string;
}

export { ConfigError };

const FLAGS: Record<string, keyof AgentConfig> = {
  '--home': 'home', '--join': 'join', '--token': 'token', '--ca-hash': 'caHash', '--node-name': 'nodeName',
  '--node-ip': 'nodeIP', '--docker-host': 'dockerHost', '--log-file': 'logFile', '--pod-network': 'podNetwork',
  '--node-status-interval': 'nodeStatusIntervalMs', '--lease-renew-interval': 'leaseRenewIntervalMs',
  '--allowed-registries': 'allowedRegistries', '--proxy-mode': 'proxyMode', '--service-cidr': 'serviceCIDR',
  '--cluster-cidr': 'clusterCIDR', '--pod-cidr': 'podCIDR', '--cluster-domain': 'clusterDomain', '--dns-listen': 'dnsListen',
  '--cluster-dns': 'clusterDNS',
};

export function usage(): string {
  return `usage: skiff-agent [--config /etc/skiff/agent.yaml] --join <host:9443> --token <id.secret> --ca-hash sha256:<hex> [flags]\n  --config=<file>  YAML: these flags in camelCase (nodeIP: 10.0.0.5); flags given here override it\n${Object.keys(FLAGS).map((f) => `  ${f}=<value>`).join('\n')}\n`;
}

function duration(flag: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new ConfigError(`${flag}: want a duration like 10s or 500ms, got "${v}"`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

/** Parses `--flag value` and `--flag=value`; unknown flags and bad values are ConfigErrors naming the flag. */
export function parseAgentFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const raw: Partial<Record<keyof AgentConfig, string>> = parseFlagArgs(argv, FLAGS);
  if (raw.join !== undefined && !/^(\[[^\]]+\]|[^:\s]+):\d+$/.test(raw.join)) throw new ConfigError(`--join: want host:port, got "${raw.join}"`);
  if (raw.caHash !== undefined && !/^sha256:[0-9a-f]{64}$/.test(raw.caHash)) throw new ConfigError(`--ca-hash: want sha256:<64 hex digits>, got "${raw.caHash}"`);
  const nodeName = (raw.nodeName ?? hostname()).toLowerCase();
  const cfg: AgentConfig = {
    home: raw.home ?? env.SKIFF_HOME ?? join('/var/lib', 'skiff'),
    nodeName,
    podNetwork: raw.podNetwork ?? 'bridge',
    leaseDurationSeconds: 40,
    leaseRenewIntervalMs: duration('--lease-renew-interval', raw.leaseRenewIntervalMs, 10_000),
    nodeStatusIntervalMs: duration('--node-status-interval', raw.nodeStatusIntervalMs, 60_000),
    allowedRegistries: String(raw.allowedRegistries ?? env.SKIFF_ALLOWED_REGISTRIES ?? '').split(',').map((r) => r.trim()).filter(Boolean),
    proxyMode: 'none',
    serviceCIDR: String(raw.serviceCIDR ?? '10.96.0.0/12'),
    clusterCIDR: String(raw.clusterCIDR ?? '10.244.0.0/16'),
    clusterDomain: String(raw.clusterDomain ?? 'cluster.local'),
    clusterDNS: String(raw.clusterDNS ?? '10.96.0.10'),
  };
  const mode = String(raw.proxyMode ?? 'none');
  if (mode !== 'iptables' && mode !== 'none') throw new ConfigError(`--proxy-mode: want iptables or none, got "${mode}"`);
  cfg.proxyMode = mode;
  for (const [flag, key] of [['--service-cidr', 'serviceCIDR'], ['--cluster-cidr', 'clusterCIDR']] as const) {
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cfg[key])) throw new ConfigError(`${flag}: want a CIDR like 10.96.0.0/12, got "${cfg[key]}"`);
  }
  if (raw.podCIDR !== undefined) cfg.podCIDR = String(raw.podCIDR);
  if (raw.dnsListen !== undefined) {
    if (!/^[^:\s]+:\d+$/.test(String(raw.dnsListen))) throw new ConfigError(`--dns-listen: want host:port, got "${String(raw.dnsListen)}"`);
    cfg.dnsListen = String(raw.dnsListen);
  }
  for (const k of ['join', 'token', 'caHash', 'nodeIP', 'dockerHost', 'logFile'] as const) {
    const v = raw[k];
    if (v !== undefined) cfg[k] = v;
  }
  return cfg;
}
