import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseFlagArgs } from '@skiff/api';

/** The one typed configuration of skiff-agent. */
export interface AgentConfig {
  /** State: `<home>/agent/` (credentials), `<home>/pods/<uid>/` (pod files). */
  home: string;
  /** host:port of the master's agent gateway, or a comma-separated list (every master; the agent fails over between them). */
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
  /** `iptables` (default, as kube-proxy runs by default) programs services into this node's iptables; `none` leaves them alone. */
  proxyMode: 'iptables' | 'none';
  serviceCIDR: string;
  clusterCIDR: string;
  podCIDR?: string;
  clusterDomain: string;
  /** host:port the node's DNS server listens on (with proxy mode iptables); unset: no DNS server. */
  dnsListen?: string;
  clusterDNS: string;
  /** Container restart back-off: first delay and cap (kubelet: 10s, 5m). */
  restartBackoffInitialMs: number;
  restartBackoffMaxMs: number;
  /** Image pull back-off: first delay and cap (kubelet: 10s, 5m). */
  imagePullBackoffInitialMs: number;
  imagePullBackoffMaxMs: number;
  /** How often each pod is re-synced without a trigger. */
  podResyncIntervalMs: number;
  /**
   * The kubelet's --cgroup-root: pods' cgroups go in `<root>/skiff/<qos>/pod<uid>` (cgroupfs) or
   * `skiff-<qos>-pod<uid>.slice` (systemd). `auto` (default): `/`, or under the engine's own --cgroup-parent
   * when it has one. `engine`: no pod cgroups, the engine's default parent.
   */
  cgroupRoot: string;
}

export { ConfigError };

const FLAGS: Record<string, keyof AgentConfig> = {
  '--home': 'home', '--join': 'join', '--token': 'token', '--ca-hash': 'caHash', '--node-name': 'nodeName',
  '--node-ip': 'nodeIP', '--docker-host': 'dockerHost', '--log-file': 'logFile', '--pod-network': 'podNetwork',
  '--node-status-interval': 'nodeStatusIntervalMs', '--lease-renew-interval': 'leaseRenewIntervalMs',
  '--allowed-registries': 'allowedRegistries', '--proxy-mode': 'proxyMode', '--service-cidr': 'serviceCIDR',
  '--cluster-cidr': 'clusterCIDR', '--pod-cidr': 'podCIDR', '--cluster-domain': 'clusterDomain', '--dns-listen': 'dnsListen',
  '--cluster-dns': 'clusterDNS',
  '--restart-backoff-initial': 'restartBackoffInitialMs', '--restart-backoff-max': 'restartBackoffMaxMs',
  '--image-pull-backoff-initial': 'imagePullBackoffInitialMs', '--image-pull-backoff-max': 'imagePullBackoffMaxMs',
  '--pod-resync-interval': 'podResyncIntervalMs', '--cgroup-root': 'cgroupRoot',
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
  if (raw.join !== undefined && !String(raw.join).split(',').every((j) => /^(\[[^\]]+\]|[^:\s,]+):\d+$/.test(j.trim()))) throw new ConfigError(`--join: want host:port or a comma-separated list of them (every master), got "${raw.join}"`);
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
    restartBackoffInitialMs: duration('--restart-backoff-initial', raw.restartBackoffInitialMs, 10_000),
    restartBackoffMaxMs: duration('--restart-backoff-max', raw.restartBackoffMaxMs, 300_000),
    imagePullBackoffInitialMs: duration('--image-pull-backoff-initial', raw.imagePullBackoffInitialMs, 10_000),
    imagePullBackoffMaxMs: duration('--image-pull-backoff-max', raw.imagePullBackoffMaxMs, 300_000),
    podResyncIntervalMs: duration('--pod-resync-interval', raw.podResyncIntervalMs, 10_000),
    cgroupRoot: String(raw.cgroupRoot ?? 'auto'),
  };
  if (cfg.cgroupRoot !== 'engine' && cfg.cgroupRoot !== 'auto' && !/^(\/[A-Za-z0-9_.:-]*)+$|^[A-Za-z0-9_-]+\.slice$/.test(cfg.cgroupRoot)) {
    throw new ConfigError(`--cgroup-root: want an absolute cgroup path like / or /lab/node1, a systemd slice like lab.slice, auto or engine; got "${cfg.cgroupRoot}"`);
  }
  for (const [flag, a, b] of [
    ['--restart-backoff', 'restartBackoffInitialMs', 'restartBackoffMaxMs'], ['--image-pull-backoff', 'imagePullBackoffInitialMs', 'imagePullBackoffMaxMs'],
  ] as const) {
    if (cfg[a] <= 0) throw new ConfigError(`${flag}-initial: must be more than 0`);
    if (cfg[b] < cfg[a]) throw new ConfigError(`${flag}-max: must be at least ${flag}-initial (${cfg[a]} ms), got ${cfg[b]} ms`);
  }
  if (cfg.podResyncIntervalMs < 100) throw new ConfigError(`--pod-resync-interval: must be at least 100ms`);
  const mode = String(raw.proxyMode ?? 'iptables');
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
