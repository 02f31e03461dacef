/**
 * `skiff-master --config /etc/skiff/master.yaml`: a YAML file whose keys are the
 * command-line flags in camelCase (`--secure-port` -> `securePort`). The file is turned
 * into flags placed *before* the command line's own, so a flag given on the command line
 * overrides the file. Every key is checked here, and errors name the file and the key:
 *
 *   /etc/skiff/master.yaml: securePort: must be a port number, got "abc"
 *   /etc/skiff/master.yaml: securePorts: unknown key (known keys: home, etcdServers, ...)
 *
 * Optional header: `apiVersion: skiff.io/v1alpha1` and `kind: MasterConfiguration`.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, configTextToFlags, expandConfigFlag, describeValue, scalarValue, configChecks, type ConfigCheck } from '@skiff/api';

const { absolutePath: path, port, ip, cidr } = configChecks;

export { CONFIG_API_VERSION } from '@skiff/api';
export const MASTER_CONFIG_KIND = 'MasterConfiguration';

type Check = ConfigCheck;

/** key -> [flag, check]. The check returns the flag's value or an error text ("must be ..."). */
const KEYS: Record<string, [flag: string, check: Check]> = {
  home: ['--home', path],
  etcdServers: ['--etcd-servers', urlList],
  bindAddress: ['--bind-address', ip],
  securePort: ['--secure-port', port],
  advertiseAddress: ['--advertise-address', ip],
  agentGatewayPort: ['--agent-gateway-port', port],
  serviceClusterIPRange: ['--service-cluster-ip-range', cidr],
  serviceNodePortRange: ['--service-node-port-range', portRange],
  logFile: ['--log-file', path],
  tokenAuthFile: ['--token-auth-file', path],
  bookmarkInterval: ['--bookmark-interval', positiveMs],
  certCheckInterval: ['--cert-check-interval', positiveMs],
  nodeMonitorGracePeriod: ['--node-monitor-grace-period', positiveMs],
  podEvictionTimeout: ['--pod-eviction-timeout', positiveMs],
  horizontalPodAutoscalerSyncPeriod: ['--horizontal-pod-autoscaler-sync-period', positiveDuration],
  localVolumeDir: ['--local-volume-dir', path],
  nodeCertValidity: ['--node-cert-validity', positiveDuration],
};

/** The keys a master config file may hold, in the order they are documented. */
export const MASTER_CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

/** key -> the command-line flag it stands for. */
export const MASTER_CONFIG_FLAGS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(KEYS).map(([k, [flag]]) => [k, flag]));

const got = describeValue;

const scalar = scalarValue;





function portRange(v: unknown): string | { error: string } {
  const s = typeof v === 'string' ? v.trim() : '';
  const m = /^(\d+)-(\d+)$/.exec(s);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2]) : NaN;
  if (!m || a < 1 || b > 65535 || a > b) return { error: `must be a port range like 30000-32767, got ${got(v)}` };
  return `${a}-${b}`;
}

function urlList(v: unknown): string | { error: string } {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : undefined;
  if (!items) return { error: `must be a list of URLs like http://127.0.0.1:2379, got ${got(v)}` };
  const out: string[] = [];
  for (const item of items) {
    const s = typeof item === 'string' ? item.trim() : '';
    if (!/^https?:\/\/[^/\s,]+$/.test(s)) return { error: `must be a list of URLs like http://127.0.0.1:2379, got ${got(item)}` };
    out.push(s);
  }
  if (out.length === 0) return { error: 'must list at least one URL' };
  return out.join(',');
}

function positiveMs(v: unknown): string | { error: string } {
  const s = scalar(v);
  if (s === undefined || !/^\d+$/.test(s) || Number(s) <= 0) return { error: `must be a positive number of milliseconds, got ${got(v)}` };
  return s;
}

/** `15s`, `1m30s`, `500ms` or a positive number of milliseconds. */
function positiveDuration(v: unknown): string | { error: string } {
  const s = scalar(v);
  if (s === undefined || !(/^\d+$/.test(s) ? Number(s) > 0 : /^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s) && /[1-9]/.test(s))) return { error: `must be a positive duration like 15s, got ${got(v)}` };
  return s;
}

/** The flags equivalent to a master config file's text; `source` names the file in errors. */
export function masterConfigToFlags(text: string, source: string): string[] {
  return configTextToFlags(text, source, MASTER_CONFIG_KIND, KEYS);
}

/** Reads and checks a master config file; ConfigError (naming the file) when unreadable. */
export function readMasterConfigFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return masterConfigToFlags(text, file);
}

/**
 * Replaces `--config <file>` / `--config=<file>` in argv by the file's flags, placed before
 * the remaining command-line flags (which therefore win). Without --config, argv unchanged.
 */
export function expandMasterConfigFlag(argv: string[], read: (file: string) => string[] = readMasterConfigFile): string[] {
  return expandConfigFlag(argv, read);
}
