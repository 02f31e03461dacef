/**
 * kubeconfig loading as kubectl does it: --kubeconfig, else $KUBECONFIG (':'-separated, merged,
 * the first file to define a name or current-context wins), else ~/.kube/config.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, dirname, isAbsolute } from 'node:path';
import { parseMiniYaml } from './miniyaml';
import { cliError, CliError } from './errors';

export interface NamedCluster { name: string; cluster: Record<string, unknown> }
export interface NamedContext { name: string; context: Record<string, unknown> }
export interface NamedUser { name: string; user: Record<string, unknown> }

export interface KubeConfig {
  clusters: NamedCluster[];
  contexts: NamedContext[];
  users: NamedUser[];
  currentContext: string;
  preferences: Record<string, unknown>;
  /** Files in load order (the ones that exist). */
  files: string[];
  /** The file named explicitly with --kubeconfig, if any. */
  explicitFile?: string;
}

export interface ConfigFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Everything needed to talk to one API server. */
export interface RestConfig {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure: boolean;
  namespace: string;
  /** true when the namespace came from -n (kubectl's "explicit namespace"). */
  namespaceExplicit: boolean;
  contextName: string;
}

function asArray(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Relative file paths in a kubeconfig are relative to the file that holds them. */
function resolvePaths(section: Record<string, unknown>, keys: string[], file: string): Record<string, unknown> {
  const out = { ...section };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) out[k] = resolve(dirname(file), v);
  }
  return out;
}

export function kubeconfigFiles(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): { files: string[]; explicit?: string } {
  if (flags.kubeconfig) {
    if (!existsSync(flags.kubeconfig)) throw cliError(`stat ${flags.kubeconfig}: no such file or directory`);
    return { files: [flags.kubeconfig], explicit: flags.kubeconfig };
  }
  const envVal = env.KUBECONFIG;
  if (envVal) {
    const seen = new Set<string>();
    const files: string[] = [];
    for (const f of envVal.split(':')) {
      if (f === '' || seen.has(f)) continue;
      seen.add(f);
      if (existsSync(f)) files.push(f);
    }
    return { files };
  }
  const def = join(env.HOME ?? homedir(), '.kube', 'config');
  return { files: existsSync(def) ? [def] : [] };
}

/** kubeconfig YAML: the fast subset parser, else the full `yaml` package (loaded only then). */
function parseYaml(text: string): unknown {
  const v = parseMiniYaml(text);
  if (v !== undefined) return v;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('yaml') as typeof import('yaml')).parse(text) as unknown;
}

export function loadKubeConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const { files, explicit } = kubeconfigFiles(flags, env);
  const cfg: KubeConfig = { clusters: [], contexts: [], users: [], currentContext: '', preferences: {}, files, explicitFile: explicit };
  const clusterNames = new Set<string>();
  const contextNames = new Set<string>();
  const userNames = new Set<string>();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      throw cliError(`error loading config file "${file}": ${(e as Error).message}`);
    }
    const d = obj(doc);
    if (!cfg.currentContext && typeof d['current-context'] === 'string') cfg.currentContext = d['current-context'];
    for (const c of asArray(d.clusters)) {
      const name = String(c.name ?? '');
      if (clusterNames.has(name)) continue;
      clusterNames.add(name);
      cfg.clusters.push({ name, cluster: resolvePaths(obj(c.cluster), ['certificate-authority'], file) });
    }
    for (const c of asArray(d.contexts)) {
      const name = String(c.name ?? '');
      if (contextNames.has(name)) continue;
      contextNames.add(name);
      cfg.contexts.push({ name, context: obj(c.context) });
    }
    for (const u of asArray(d.users)) {
      const name = String(u.name ?? '');
      if (userNames.has(name)) continue;
      userNames.add(name);
      cfg.users.push({ name, user: resolvePaths(obj(u.user), ['client-certificate', 'client-key', 'tokenFile'], file) });
    }
  }
  return cfg;
}

function readData(dataField: unknown, fileField: unknown): Buffer | undefined {
  if (typeof dataField === 'string' && dataField !== '') return Buffer.from(dataField, 'base64');
  if (typeof fileField === 'string' && fileField !== '') {
    try {
      return readFileSync(fileField);
    } catch {
      throw cliError(`open ${fileField}: no such file or directory`);
    }
  }
  return undefined;
}

/** Picks context, cluster and user and resolves credentials; errors worded like kubectl. */
export function restConfig(cfg: KubeConfig, flags: ConfigFlags = {}): RestConfig {
  const contextName = flags.context ?? cfg.currentContext;
  let context: Record<string, unknown> = {};
  if (contextName) {
    const c = cfg.contexts.find((x) => x.name === contextName);
    if (!c) {
      if (flags.context !== undefined) throw new CliError(`Error in configuration: context was not found for specified context: ${contextName}`);
    } else context = c.context;
  }
  const clusterName = flags.cluster ?? (typeof context.cluster === 'string' ? context.cluster : '');
  const userName = flags.user ?? (typeof context.user === 'string' ? context.user : '');
  const cluster = cfg.clusters.find((x) => x.name === clusterName)?.cluster ?? {};
  const user = cfg.users.find((x) => x.name === userName)?.user ?? {};
  if (flags.cluster !== undefined && !cfg.clusters.some((x) => x.name === flags.cluster)) {
    throw new CliError(`Error in configuration: cluster "${flags.cluster}" was not found`);
  }
  const server = flags.server ?? (typeof cluster.server === 'string' && cluster.server ? cluster.server : 'http://localhost:8080');
  const token = flags.token ?? (typeof user.token === 'string' ? user.token : typeof user.tokenFile === 'string' ? safeRead(user.tokenFile)?.trim() : undefined);
  const ns = flags.namespace ?? (typeof context.namespace === 'string' && context.namespace ? context.namespace : 'default');
  return {
    server: server.replace(/\/+$/, ''),
    ca: readData(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: readData(user['client-certificate-data'], user['client-certificate']),
    key: readData(user['client-key-data'], user['client-key']),
    token: token || undefined,
    insecure: flags.insecureSkipTlsVerify ?? cluster['insecure-skip-tls-verify'] === true,
    namespace: ns,
    namespaceExplicit: flags.namespace !== undefined,
    contextName,
  };
}

function safeRead(f: string): string | undefined {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * `config set-context NAME`: merges the given fields into the context entry, in the file kubectl
 * writes it to (--kubeconfig; else the file that already defines it; else the first file).
 * Returns whether the context existed before.
 */
export function setContextFields(cfg: KubeConfig, name: string, fields: Record<string, string>): boolean {
  let target = cfg.explicitFile;
  if (!target) {
    for (const f of cfg.files) {
      const d = obj(parseYaml(readFileSync(f, 'utf8')));
      if (asArray(d.contexts).some((c) => String(c.name ?? '') === name)) { target = f; break; }
    }
  }
  target ??= cfg.files[0];
  if (!target) throw cliError('no kubeconfig file to modify');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Y = require('yaml') as typeof import('yaml');
  const doc = existsSync(target) ? Y.parseDocument(readFileSync(target, 'utf8')) : new Y.Document({ apiVersion: 'v1', kind: 'Config' });
  const data = obj(doc.toJS() as unknown);
  const contexts = asArray(data.contexts);
  let entry = contexts.find((c) => String(c.name ?? '') === name);
  const existed = entry !== undefined;
  if (!entry) { entry = { name, context: {} }; contexts.push(entry); }
  const ctx = obj(entry.context);
  for (const [k, v] of Object.entries(fields)) ctx[k] = v;
  entry.context = Object.fromEntries(Object.entries(ctx).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  doc.set('contexts', contexts.map((c) => ({ context: c.context, name: c.name })));
  writeFileSync(target, doc.toString());
  return existed;
}

/** Sets current-context in the file kubectl would write it to, keeping the rest of the file. */
export function setCurrentContext(cfg: KubeConfig, name: string): string {
  let target = cfg.explicitFile;
  if (!target) {
    for (const f of cfg.files) {
      const d = obj(parseYaml(readFileSync(f, 'utf8')));
      if (typeof d['current-context'] === 'string' && d['current-context'] !== '') { target = f; break; }
    }
  }
  target ??= cfg.files[0];
  if (!target) throw cliError('no kubeconfig file to modify');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const doc = (require('yaml') as typeof import('yaml')).parseDocument(readFileSync(target, 'utf8'));
  doc.set('current-context', name);
  writeFileSync(target, doc.toString());
  return target;
}
