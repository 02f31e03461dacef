/**
 * `skiff-agent --config /etc/skiff/agent.yaml`: a YAML file whose keys are the
 * command-line flags in camelCase (`--node-ip` -> `nodeIP`, `--ca-hash` -> `caHash`). The file is turned
 * into flags placed *before* the command line's own, so a flag given on the command line
 * overrides the file. Every key is checked here, and errors name the file and the key:
 *
 *   /etc/skiff/agent.yaml: join: must be host:port, got "master"
 *   /etc/skiff/agent.yaml: nodeIp: unknown key (known keys: home, join, token, ...)
 *
 * Optional header: `apiVersion: skiff.io/v1alpha1` and `kind: AgentConfiguration`.
 * (The same checker as packages/master/src/config-file.ts, with the agent's keys.)
 */
import { readFileSync } from 'node:fs';
import { ConfigError, configTextToFlags, expandConfigFlag, describeValue, scalarValue, configChecks, type ConfigCheck } from '@skiff/api';

const { absolutePath: path, port, ip, cidr } = configChecks;

export { CONFIG_API_VERSION } from '@skiff/api';
export const AGENT_CONFIG_KIND = 'AgentConfiguration';

type Check = ConfigCheck;

/** key -> [flag, check]. The check returns the flag's value or an error text ("must be ..."). */
const KEYS: Record<string, [flag: string, check: Check]> = {
  home: ['--home', path],
  join: ['--join', hostPort],
  token: ['--token', token],
  caHash: ['--ca-hash', caHash],
  nodeName: ['--node-name', nodeName],
  nodeIP: ['--node-ip', ip],
  dockerHost: ['--docker-host', dockerHost],
  logFile: ['--log-file', path],
  podNetwork: ['--pod-network', name],
  nodeStatusInterval: ['--node-status-interval', duration],
  leaseRenewInterval: ['--lease-renew-interval', duration],
  allowedRegistries: ['--allowed-registries', registries],
  proxyMode: ['--proxy-mode', oneOf(['iptables', 'none'])],
  serviceCIDR: ['--service-cidr', cidr],
  clusterCIDR: ['--cluster-cidr', cidr],
  podCIDR: ['--pod-cidr', cidr],
  clusterDomain: ['--cluster-domain', name],
  dnsListen: ['--dns-listen', hostPort],
  clusterDNS: ['--cluster-dns', ip],
  restartBackoffInitial: ['--restart-backoff-initial', duration],
  restartBackoffMax: ['--restart-backoff-max', duration],
  imagePullBackoffInitial: ['--image-pull-backoff-initial', duration],
  imagePullBackoffMax: ['--image-pull-backoff-max', duration],
  podResyncInterval: ['--pod-resync-interval', duration],
  cgroupRoot: ['--cgroup-root', cgroupRoot],
};

function cgroupRoot(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (s === 'engine' || s === 'auto' || /^(\/[A-Za-z0-9_.:-]*)+$/.test(s) || /^[A-Za-z0-9_-]+\.slice$/.test(s)) return s;
  return { error: `must be an absolute cgroup path like /, a systemd slice like lab.slice, auto or engine, got ${got(v)}` };
}

function oneOf(values: string[]): Check {
  return (v) => {
    const s = scalar(v);
    return s !== undefined && values.includes(s) ? s : { error: `must be one of ${values.join(', ')}, got ${got(v)}` };
  };
}


/** The keys an agent config file may hold, in the order they are documented. */
export const AGENT_CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

/** key -> the command-line flag it stands for. */
export const AGENT_CONFIG_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(KEYS).map(([k, [flag]]) => [k, flag]));

const got = describeValue;

const scalar = scalarValue;




function hostPort(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  const m = /^(\[[^\]]+\]|[^:\s\[\]]+):(\d+)$/.exec(s);
  if (!m || port(m[2]) !== m[2]) return { error: `must be host:port like 192.168.200.100:9443, got ${got(v)}` };
  return s;
}

function token(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(s)) return { error: `must be a bootstrap token like abcdef.0123456789abcdef, got ${typeof v === 'string' ? `a string of ${s.length} characters` : got(v)}` };
  return s;
}

function caHash(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^sha256:[0-9a-f]{64}$/.test(s)) return { error: `must be sha256:<64 hex digits>, got ${got(v)}` };
  return s;
}

function nodeName(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (s.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(s)) {
    return { error: `must be a lower-case DNS name (RFC 1123 subdomain), got ${got(v)}` };
  }
  return s;
}

function dockerHost(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^(unix:\/\/\/.+|\/.+|tcp:\/\/[^/\s]+:\d+)$/.test(s)) return { error: `must be unix:///path, /path or tcp://host:port, got ${got(v)}` };
  return s;
}

function name(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(s)) return { error: `must be a Docker network name, got ${got(v)}` };
  return s;
}

function duration(v: unknown): string | { error: string } {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return `${v}s`;
  const s = typeof v === 'string' ? v.trim() : '';
  if (!/^\d+(ms|s|m)?$/.test(s) || /^0+(ms|s|m)?$/.test(s)) return { error: `must be a duration like 10s, 500ms or 1m, got ${got(v)}` };
  return s;
}

function registries(v: unknown): string | { error: string } {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : undefined;
  if (!items) return { error: `must be a list of registry hosts like 127.0.0.1:5000, got ${got(v)}` };
  const out: string[] = [];
  for (const item of items) {
    const s = typeof item === 'string' ? item.trim() : '';
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(s)) return { error: `must be a list of registry hosts like 127.0.0.1:5000, got ${got(item)}` };
    out.push(s);
  }
  return out.join(',');
}

/** The flags equivalent to an agent config file's text; `source` names the file in errors. */
export function agentConfigToFlags(text: string, source: string): string[] {
  return configTextToFlags(text, source, AGENT_CONFIG_KIND, KEYS);
}

/** Reads and checks an agent config file; ConfigError (naming the file) when unreadable. */
export function readAgentConfigFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return agentConfigToFlags(text, file);
}

/**
 * Replaces `--config <file>` / `--config=<file>` in argv by the file's flags, placed before
 * the remaining command-line flags (which therefore win). Without --config, argv unchanged.
 */
export function expandAgentConfigFlag(argv: string[], read: (file: string) => string[] = readAgentConfigFile): string[] {
  return expandConfigFlag(argv, read);
}
