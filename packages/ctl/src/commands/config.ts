/** skiffctl config view|get-contexts|current-context|use-context|set-context */
import { Ctx } from '../context';
import { cliError, CliError } from '../errors';
import { printJson } from '../printers/gojson';
import { toGoYaml } from '../printers/goyaml';
import { tabwrite } from '../printers/tabwriter';
import { setContextFields, setCurrentContext } from '../kubeconfig';

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function redact(section: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) {
    if (k.endsWith('-data') && typeof v === 'string' && v !== '') out[k] = 'DATA+OMITTED';
    else if ((k === 'token' || k === 'password') && typeof v === 'string' && v !== '') out[k] = 'REDACTED';
    else out[k] = v;
  }
  return out;
}

const CLUSTER_FIELDS = ['server', 'tls-server-name', 'insecure-skip-tls-verify', 'certificate-authority', 'certificate-authority-data', 'proxy-url', 'disable-compression', 'extensions'];
const USER_FIELDS = ['client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'token', 'tokenFile', 'as', 'as-uid', 'as-groups', 'as-user-extra', 'username', 'password', 'auth-provider', 'exec', 'extensions'];
const CONTEXT_FIELDS = ['cluster', 'user', 'namespace', 'extensions'];

function ordered(o: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (o[f] !== undefined && o[f] !== '' && o[f] !== false) out[f] = o[f];
  return out;
}

/** `config view -o json` prints Go struct field order (clientcmd/api/v1), not sorted keys. */
function structOrder(d: { clusters: { cluster: Record<string, unknown>; name: string }[] | null; contexts: { context: Record<string, unknown>; name: string }[] | null;
  users: { name: string; user: Record<string, unknown> }[] | null; 'current-context': string; preferences: Record<string, unknown> }): unknown {
  return {
    kind: 'Config', apiVersion: 'v1', preferences: d.preferences,
    clusters: d.clusters?.map((c) => ({ name: c.name, cluster: ordered(c.cluster, CLUSTER_FIELDS) })) ?? null,
    users: d.users?.map((u) => ({ name: u.name, user: ordered(u.user, USER_FIELDS) })) ?? null,
    contexts: d.contexts?.map((c) => ({ name: c.name, context: { cluster: c.context.cluster ?? '', user: c.context.user ?? '', ...ordered(c.context, CONTEXT_FIELDS) } })) ?? null,
    'current-context': d['current-context'],
  };
}

function view(ctx: Ctx): number {
  const kc = ctx.kubeconfig();
  const raw = ctx.flags.bool('raw');
  let clusters = [...kc.clusters].sort(byName);
  let contexts = [...kc.contexts].sort(byName);
  let users = [...kc.users].sort(byName);
  let current = kc.currentContext;
  if (ctx.flags.bool('minify')) {
    const name = ctx.flags.str('context') ?? kc.currentContext;
    if (!name) throw cliError('current-context must exist in order to minify');
    const c = contexts.find((x) => x.name === name);
    if (!c) throw cliError(`cannot locate context ${name}`);
    contexts = [c];
    const cl = typeof c.context.cluster === 'string' ? c.context.cluster : '';
    const us = typeof c.context.user === 'string' ? c.context.user : '';
    if (cl && !clusters.some((x) => x.name === cl)) throw cliError(`cannot locate cluster ${cl}`);
    if (us && !users.some((x) => x.name === us)) throw cliError(`cannot locate user ${us}`);
    clusters = clusters.filter((x) => x.name === cl);
    users = users.filter((x) => x.name === us);
    current = name;
  }
  const data = {
    apiVersion: 'v1',
    clusters: clusters.length ? clusters.map((c) => ({ cluster: raw ? c.cluster : redact(c.cluster), name: c.name })) : null,
    // clientcmd's v1 Context has `cluster` and `user` without omitempty: always printed
    contexts: contexts.length ? contexts.map((c) => ({ context: { cluster: '', user: '', ...c.context }, name: c.name })) : null,
    'current-context': current,
    kind: 'Config',
    preferences: kc.preferences,
    users: users.length ? users.map((u) => ({ name: u.name, user: raw ? u.user : redact(u.user) })) : null,
  };
  const o = ctx.flags.str('output') ?? 'yaml';
  if (o === 'json') ctx.out(printJson(structOrder(data), false));
  else if (o === 'yaml') ctx.out(toGoYaml(data));
  else throw cliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,jsonpath,jsonpath-file,yaml`);
  return 0;
}

function getContexts(ctx: Ctx, names: string[]): number {
  const kc = ctx.kubeconfig();
  let contexts = [...kc.contexts].sort(byName);
  const missing: string[] = [];
  if (names.length) {
    for (const n of names) if (!contexts.some((c) => c.name === n)) missing.push(n);
    contexts = contexts.filter((c) => names.includes(c.name));
  }
  const o = ctx.flags.str('output');
  if (o === 'name') ctx.out(contexts.map((c) => `${c.name}\n`).join(''));
  else if (o !== undefined) throw cliError(`output must be one of '' or 'name'`);
  else {
    const lines = ctx.flags.bool('no-headers') ? [] : ['CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE'];
    for (const c of contexts) {
      const str = (k: string): string => (typeof c.context[k] === 'string' ? (c.context[k] as string) : '');
      lines.push([c.name === kc.currentContext ? '*' : '', c.name, str('cluster'), str('user'), str('namespace')].join('\t'));
    }
    ctx.out(tabwrite(lines.join('\n') + '\n'));
  }
  if (missing.length) throw new CliError(missing.map((n) => `error: context ${n} not found`).join('\n'));
  return 0;
}

export async function config(ctx: Ctx, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'view':
      return view(ctx);
    case 'get-contexts':
      return getContexts(ctx, rest);
    case 'current-context': {
      const cur = ctx.kubeconfig().currentContext;
      if (!cur) throw cliError('current-context is not set');
      ctx.out(`${cur}\n`);
      return 0;
    }
    case 'use-context':
    case 'use': {
      const name = rest[0];
      if (rest.length !== 1 || !name) throw cliError('Unexpected args: ' + JSON.stringify(rest));
      const kc = ctx.kubeconfig();
      if (!kc.contexts.some((c) => c.name === name)) throw cliError(`no context exists with the name: "${name}"`);
      setCurrentContext(kc, name);
      ctx.out(`Switched to context "${name}".\n`);
      return 0;
    }
    case 'set-context': {
      let name = rest[0] ?? '';
      if (rest.length > 1) throw cliError('Unexpected args: [' + rest.join(' ') + ']');
      const kc = ctx.kubeconfig();
      if (ctx.flags.bool('current')) {
        if (rest.length) throw cliError('you cannot specify both a context name and --current');
        name = kc.currentContext;
        if (!name) throw cliError('no current context is set');
      }
      if (!name) throw cliError('you must specify a non-empty context name or --current');
      const fields: Record<string, string> = {};
      for (const k of ['cluster', 'user', 'namespace']) {
        const v = ctx.flags.str(k);
        if (v !== undefined) fields[k] = v;
      }
      const existed = setContextFields(kc, name, fields);
      ctx.out(`Context "${name}" ${existed ? 'modified' : 'created'}.\n`);
      return 0;
    }
    case undefined:
      throw cliError('config requires a subcommand: view, get-contexts, current-context, use-context');
    default:
      throw cliError(`unknown command "${sub}" for "skiffctl config"`);
  }
}
