/** pflag-style argument parsing: --name=value, --name value, -n value, -nvalue, -n=value, bools, `--`. */
import { CliError } from './errors';

export type FlagType = 'bool' | 'string' | 'array';

export interface FlagSpec {
  type: FlagType;
  short?: string;
}

export const FLAGS: Record<string, FlagSpec> = {
  // global
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  cluster: { type: 'string' },
  user: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  server: { type: 'string', short: 's' },
  token: { type: 'string' },
  'insecure-skip-tls-verify': { type: 'bool' },
  'cache-dir': { type: 'string' },
  'request-timeout': { type: 'string' },
  v: { type: 'string', short: 'v' },
  help: { type: 'bool', short: 'h' },
  // commands
  'all-namespaces': { type: 'bool', short: 'A' },
  selector: { type: 'string', short: 'l' },
  'field-selector': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'show-labels': { type: 'bool' },
  'no-headers': { type: 'bool' },
  'ignore-not-found': { type: 'bool' },
  overwrite: { type: 'bool' },
  'from-literal': { type: 'array' },
  raw: { type: 'bool' },
  minify: { type: 'bool' },
  wait: { type: 'bool' },
  client: { type: 'bool' },
  namespaced: { type: 'bool' },
  'api-group': { type: 'string' },
  'sort-by': { type: 'string' },
  'chunk-size': { type: 'string' },
  filename: { type: 'array', short: 'f' },
  recursive: { type: 'bool', short: 'R' },
  validate: { type: 'string' },
  'server-side': { type: 'bool' },
  'force-conflicts': { type: 'bool' },
  'field-manager': { type: 'string' },
  all: { type: 'bool' },
  cascade: { type: 'string' },
  'grace-period': { type: 'string' },
  now: { type: 'bool' },
  force: { type: 'bool' },
  watch: { type: 'bool', short: 'w' },
  'watch-only': { type: 'bool' },
  'show-events': { type: 'bool' },
  replicas: { type: 'string' },
  'current-replicas': { type: 'string' },
  patch: { type: 'string', short: 'p' },
  type: { type: 'string' },
  image: { type: 'array' },
  restart: { type: 'string' },
  from: { type: 'string' },
  clusterip: { type: 'string' },
  port: { type: 'string' },
  'target-port': { type: 'string' },
  protocol: { type: 'string' },
  name: { type: 'string' },
  'from-file': { type: 'array' },
  'docker-server': { type: 'string' },
  'docker-username': { type: 'string' },
  'docker-password': { type: 'string' },
  'docker-email': { type: 'string' },
  schedule: { type: 'string' },
  tcp: { type: 'array' },
  'node-port': { type: 'string' },
  'cluster-ip': { type: 'string' },
  env: { type: 'array', short: 'e' },
  limits: { type: 'string' },
  requests: { type: 'string' },
  containers: { type: 'string', short: 'c' },
  'to-revision': { type: 'string' },
  revision: { type: 'string' },
  for: { type: 'string' },
  timeout: { type: 'string' },
  'dry-run': { type: 'string' },
  'api-version': { type: 'string' },
  list: { type: 'bool' },
  'save-config': { type: 'bool' },
  'output-watch-events': { type: 'bool' },
  'label-columns': { type: 'array', short: 'L' },
  subresource: { type: 'string' },
  local: { type: 'bool' },
  // logs, exec, attach, cp, port-forward, top, drain, wait (per-command shorthands in COMMAND_SHORT)
  follow: { type: 'bool' }, previous: { type: 'bool' }, tail: { type: 'string' }, since: { type: 'string' }, 'since-time': { type: 'string' },
  timestamps: { type: 'bool' }, 'all-containers': { type: 'bool' }, prefix: { type: 'bool' }, 'limit-bytes': { type: 'string' },
  'max-log-requests': { type: 'string' }, 'pod-running-timeout': { type: 'string' }, 'ignore-errors': { type: 'bool' },
  container: { type: 'string' }, stdin: { type: 'bool', short: 'i' }, tty: { type: 'bool', short: 't' }, quiet: { type: 'bool', short: 'q' },
  address: { type: 'array' }, 'no-preserve': { type: 'bool' }, retries: { type: 'string' },
  'ignore-daemonsets': { type: 'bool' }, 'delete-emptydir-data': { type: 'bool' }, 'disable-eviction': { type: 'bool' },
  'pod-selector': { type: 'string' }, 'skip-wait-for-delete-timeout': { type: 'string' }, 'use-protocol-buffers': { type: 'bool' },
  'sum': { type: 'bool' },
  // set, expose, autoscale, edit, diff, auth (skiffctl editing/workload commands)
  labels: { type: 'string' }, 'port-name': { type: 'string' },
  resolve: { type: 'bool' }, keys: { type: 'array' }, min: { type: 'string' }, max: { type: 'string' }, 'cpu-percent': { type: 'string' }, 'external-ip': { type: 'string' }, 'load-balancer-ip': { type: 'string' }, 'session-affinity': { type: 'string' }, 'windows-line-endings': { type: 'bool' }, 'output-patch': { type: 'bool' }, 'show-managed-fields': { type: 'bool' }, 'server-side-apply': { type: 'bool' }, 'concurrency': { type: 'string' }, 'prune': { type: 'bool' }, current: { type: 'bool' }, 'prune-allowlist': { type: 'array' },

};

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string | boolean | string[]>;
}

const SHORT = new Map(Object.entries(FLAGS).filter(([, s]) => s.short).map(([n, s]) => [s.short as string, n]));
/** Shorthands that mean something else after some commands (`logs -f` follows, `exec -c` names the container). */
const COMMAND_SHORT: Record<string, Record<string, string>> = {
  logs: { f: 'follow', p: 'previous', c: 'container' }, exec: { c: 'container' }, attach: { c: 'container' }, cp: { c: 'container' },
  expose: { l: 'labels' },
};

function parseBool(name: string, v: string): boolean {
  if (['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v)) return false;
  throw new CliError(`error: invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | boolean | string[]>();
  const set = (name: string, value: string | boolean): void => {
    const spec = FLAGS[name] as FlagSpec;
    if (spec.type === 'array') {
      const cur = flags.get(name);
      flags.set(name, [...(Array.isArray(cur) ? cur : []), String(value)]);
    } else flags.set(name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = FLAGS[name];
      if (!spec) throw new CliError(`error: unknown flag: --${name}`);
      // `top pod --containers` is a bool (elsewhere --containers names containers): stored as 'true'/'false'
      if (name === 'containers' && positional[0] === 'top') set(name, String(eq >= 0 ? parseBool(name, a.slice(eq + 1)) : true));
      else if (spec.type === 'bool') set(name, eq >= 0 ? parseBool(name, a.slice(eq + 1)) : true);
      else if (eq >= 0) set(name, a.slice(eq + 1));
      else {
        if (i + 1 >= argv.length) throw new CliError(`error: flag needs an argument: --${name}`);
        set(name, argv[++i] as string);
      }
    } else if (a.startsWith('-') && a.length > 1) {
      let j = 1;
      while (j < a.length) {
        const c = a.charAt(j);
        const name = COMMAND_SHORT[positional[0] ?? '']?.[c] ?? SHORT.get(c);
        if (!name) throw new CliError(`error: unknown shorthand flag: '${c}' in ${a}`);
        const spec = FLAGS[name] as FlagSpec;
        if (spec.type === 'bool') {
          if (a.charAt(j + 1) === '=') { set(name, parseBool(name, a.slice(j + 2))); break; }
          set(name, true);
          j++;
          continue;
        }
        let value = a.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') {
          if (i + 1 >= argv.length) throw new CliError(`error: flag needs an argument: '${c}' in -${c}`);
          value = argv[++i] as string;
        }
        set(name, value);
        break;
      }
    } else positional.push(a);
  }
  return { positional, flags };
}

export class Flags {
  constructor(private readonly m: Map<string, string | boolean | string[]>) {}
  str(name: string): string | undefined {
    const v = this.m.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  bool(name: string, def = false): boolean {
    const v = this.m.get(name);
    return typeof v === 'boolean' ? v : def;
  }
  has(name: string): boolean {
    return this.m.has(name);
  }
  arr(name: string): string[] {
    const v = this.m.get(name);
    return Array.isArray(v) ? v : [];
  }
}
