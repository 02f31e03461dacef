import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseFlagArgs } from '@skiff/api';

/** The one typed configuration of skiff-master. */
export interface MasterConfig {
  home: string;
  etcdServers: string[];
  bindAddress: string;
  securePort: number;
  /** gRPC port agents join and talk to. */
  agentGatewayPort: number;
  /** Extra addresses for the serving certificate and the address agents and clients use. */
  advertiseAddress: string;
  serviceClusterIPRange: string;
  nodePortRange: [number, number];
  logFile?: string;
  tokenAuthFile?: string;
  /** Watch bookmarks interval. */
  bookmarkIntervalMs: number;
  /** How often the serving certificate's expiry is checked (rotated within 30 days of it). */
  certCheckIntervalMs: number;
  /** A node whose lease is older than this becomes Ready Unknown and unreachable-tainted. */
  nodeMonitorGracePeriodMs: number;
  /** Eviction delay for pods on an unreachable node that do not tolerate the taint. */
  podEvictionTimeoutMs: number;
  /** Validity of the node certificates the agent gateway issues (agents renew them at 70% of it). */
  nodeCertValidityMs: number;
  /** How often each HorizontalPodAutoscaler is evaluated. */
  hpaSyncPeriodMs: number;
  /** Where provisioned local PersistentVolumes live on each node (`<dir>/<pv-name>`). */
  localVolumeDir: string;
}

export { ConfigError };

const FLAGS: Record<string, string> = {
  '--home': 'home', '--etcd-servers': 'etcdServers', '--bind-address': 'bindAddress', '--secure-port': 'securePort',
  '--advertise-address': 'advertiseAddress', '--service-cluster-ip-range': 'serviceClusterIPRange',
  '--service-node-port-range': 'nodePortRange', '--log-file': 'logFile', '--token-auth-file': 'tokenAuthFile',
  '--bookmark-interval': 'bookmarkIntervalMs', '--agent-gateway-port': 'agentGatewayPort',
  '--cert-check-interval': 'certCheckIntervalMs',
  '--node-monitor-grace-period': 'nodeMonitorGracePeriodMs', '--pod-eviction-timeout': 'podEvictionTimeoutMs',
  '--node-cert-validity': 'nodeCertValidityMs',
  '--horizontal-pod-autoscaler-sync-period': 'hpaSyncPeriodMs',
  '--local-volume-dir': 'localVolumeDir',
};

/** `15s`, `1m30s`, `500ms` (Kubernetes' duration flags) or a bare number of milliseconds. */
function durationMs(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let ms = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (Number.isNaN(ms) && /^(\d+(\.\d+)?(ms|s|m|h))+$/.test(v)) {
    ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * units[m[2]!]!;
  }
  if (!(ms > 0)) throw new ConfigError(`${flag}: must be a positive duration like 15s, got "${v}"`);
  return ms;
}

export function usage(): string {
  return `usage: skiff-master [--config /etc/skiff/master.yaml] [flags]\n  --config=<file>  YAML: these flags in camelCase (securePort: 6443); flags given here override it\n${Object.keys(FLAGS).map((f) => `  ${f}=<value>`).join('\n')}\n`;
}

/** Parses `--flag value` and `--flag=value`; unknown flags and bad values are ConfigErrors naming the flag. */
export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): MasterConfig {
  const raw: Record<string, string | undefined> = parseFlagArgs(argv, FLAGS);
  const home = raw.home ?? env.SKIFF_HOME ?? join(homedir(), '.skiff');
  const port = Number(raw.securePort ?? 6443);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(`--secure-port: must be a port number, got "${raw.securePort}"`);
  const gwPort = Number(raw.agentGatewayPort ?? 9443);
  if (!Number.isInteger(gwPort) || gwPort < 1 || gwPort > 65535) throw new ConfigError(`--agent-gateway-port: must be a port number, got "${raw.agentGatewayPort}"`);
  const npr = (raw.nodePortRange ?? '30000-32767').split('-').map(Number);
  if (npr.length !== 2 || npr.some((n) => !Number.isInteger(n) || n < 1 || n > 65535) || npr[0]! > npr[1]!) {
    throw new ConfigError(`--service-node-port-range: must be like 30000-32767, got "${raw.nodePortRange}"`);
  }
  const cidr = raw.serviceClusterIPRange ?? '10.96.0.0/12';
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) throw new ConfigError(`--service-cluster-ip-range: must be a CIDR, got "${cidr}"`);
  const servers = (raw.etcdServers ?? 'http://127.0.0.1:2379').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of servers) if (!/^https?:\/\/[^/]+$/.test(s)) throw new ConfigError(`--etcd-servers: "${s}" is not a URL like http://127.0.0.1:2379`);
  const bookmark = Number(raw.bookmarkIntervalMs ?? 60000);
  const cfg: MasterConfig = {
    home,
    etcdServers: servers,
    bindAddress: raw.bindAddress ?? '0.0.0.0',
    securePort: port,
    agentGatewayPort: gwPort,
    advertiseAddress: raw.advertiseAddress ?? '127.0.0.1',
    serviceClusterIPRange: cidr,
    nodePortRange: [npr[0]!, npr[1]!],
    bookmarkIntervalMs: Number.isFinite(bookmark) && bookmark > 0 ? bookmark : 60000,
    certCheckIntervalMs: Number(raw.certCheckIntervalMs ?? 3_600_000) > 0 ? Number(raw.certCheckIntervalMs ?? 3_600_000) : 3_600_000,
    // Durations like 40s (as Kubernetes' flags) or bare milliseconds.
    nodeMonitorGracePeriodMs: durationMs('--node-monitor-grace-period', raw.nodeMonitorGracePeriodMs, 40_000),
    podEvictionTimeoutMs: raw.podEvictionTimeoutMs === '0' ? 0 : durationMs('--pod-eviction-timeout', raw.podEvictionTimeoutMs, 300_000),
    nodeCertValidityMs: durationMs('--node-cert-validity', raw.nodeCertValidityMs, 365 * 86_400_000),
    hpaSyncPeriodMs: durationMs('--horizontal-pod-autoscaler-sync-period', raw.hpaSyncPeriodMs, 15_000),
    localVolumeDir: raw.localVolumeDir ?? '/var/lib/skiff/volumes',
  };
  if (!cfg.localVolumeDir.startsWith('/')) throw new ConfigError(`--local-volume-dir: must be an absolute path, got "${cfg.localVolumeDir}"`);
  if (raw.logFile) cfg.logFile = raw.logFile;
  if (raw.tokenAuthFile) cfg.tokenAuthFile = raw.tokenAuthFile;
  return cfg;
}

export function certificateSANs(cfg: MasterConfig, kubernetesServiceIP: string): { dnsNames: string[]; ips: string[] } {
  const ips = new Set(['127.0.0.1', kubernetesServiceIP, cfg.advertiseAddress]);
  if (cfg.bindAddress !== '0.0.0.0') ips.add(cfg.bindAddress);
  return {
    dnsNames: ['localhost', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: [...ips],
  };
}
