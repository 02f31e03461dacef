/** auth can-i (SelfSubjectAccessReview, `--list` via SelfSubjectRulesReview) and auth whoami (SelfSubjectReview). */
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { tabwrite } from '../printers/tabwriter';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const TWO_ARGS = 'you must specify two arguments: verb resource or verb resource/resourceName.\nSee \'kubectl auth can-i -h\' for help and examples.';

export async function auth(ctx: Ctx, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'can-i') return canI(ctx, rest);
  if (sub === 'whoami') return whoami(ctx);
  if (sub === undefined) throw cliError('Unexpected args: []\nSee \'kubectl auth -h\' for help and examples');
  throw new CliError(`error: unknown command "${sub}"\nSee 'kubectl auth -h' for help and examples`);
}

async function canI(ctx: Ctx, args: string[]): Promise<number> {
  const quiet = ctx.flags.bool('quiet');
  const all = ctx.flags.bool('all-namespaces');
  if (ctx.flags.bool('list')) {
    if (args.length) throw cliError('list option must be specified with no arguments');
    return listRules(ctx);
  }
  if (args.length !== 2) throw cliError(TWO_ARGS);
  const [verb, target] = args as [string, string];
  const client = ctx.client();
  const namespace = all ? '' : ctx.namespace;
  let spec: Any;
  if (target.startsWith('/')) {
    spec = { nonResourceAttributes: { path: target, verb } };
  } else {
    const slash = target.indexOf('/');
    const resArg = slash >= 0 ? target.slice(0, slash) : target;
    const name = slash >= 0 ? target.slice(slash + 1) : '';
    let group = '';
    let resource = resArg;
    let namespaced = true;
    if (resArg !== '*') {
      try {
        const r = await ctx.discovery().resolve(resArg);
        group = r.group; resource = r.resource; namespaced = r.namespaced;
      } catch {
        const dot = resArg.indexOf('.');
        if (dot >= 0) { resource = resArg.slice(0, dot); group = resArg.slice(dot + 1); }
        ctx.err(`Warning: the server doesn't have a resource type '${resource}'\n\n`);
      }
    }
    if (!namespaced && namespace) ctx.err(`Warning: resource '${resource}' is not namespace scoped${group ? ` in group '${group}'` : ''}\n\n`);
    const ra: Any = { namespace: namespace || undefined, verb, group: group || undefined, resource, subresource: ctx.flags.str('subresource') || undefined, name: name || undefined };
    for (const k of Object.keys(ra)) if (ra[k] === undefined) delete ra[k];
    spec = { resourceAttributes: ra };
  }
  const review = await client.request<Any>('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    body: { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed: false } },
  });
  const st = review?.status ?? {};
  if (!quiet) {
    if (st.allowed) ctx.out('yes\n');
    else ctx.out(`no${st.reason ? ` - ${st.reason}` : ''}${st.evaluationError ? ` - ${st.evaluationError}` : ''}\n`);
  }
  return st.allowed ? 0 : 1;
}

function goSlice(a: unknown[] | undefined): string {
  return `[${(a ?? []).join(' ')}]`;
}

async function listRules(ctx: Ctx): Promise<number> {
  const ns = ctx.flags.bool('all-namespaces') ? '' : ctx.namespace;
  const review = await ctx.client().request<Any>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
    body: { kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { namespace: ns }, status: { resourceRules: null, nonResourceRules: null, incomplete: false } },
  });
  const st = review?.status ?? {};
  const rows: string[] = [];
  for (const rule of (st.resourceRules ?? []) as Any[]) {
    const groups: string[] = rule.apiGroups?.length ? rule.apiGroups : [''];
    for (const res of (rule.resources ?? []) as string[]) {
      for (const g of groups) rows.push(`${g ? `${res}.${g}` : res}\t[]\t${goSlice(rule.resourceNames)}\t${goSlice(rule.verbs)}\n`);
    }
  }
  for (const rule of (st.nonResourceRules ?? []) as Any[]) rows.push(`\t${goSlice(rule.nonResourceURLs)}\t[]\t${goSlice(rule.verbs)}\n`);
  if (!ctx.flags.bool('no-headers')) rows.unshift('Resources\tNon-Resource URLs\tResource Names\tVerbs\n');
  ctx.out(tabwrite(rows.join(''), { minWidth: 0, padding: 3 }));
  if (st.incomplete && st.evaluationError) ctx.err(`Warning: the list may be incomplete: ${st.evaluationError}\n`);
  return 0;
}

async function whoami(ctx: Ctx): Promise<number> {
  const r = await ctx.client().request<Any>('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    body: { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, status: { userInfo: {} } },
  });
  const u = r?.status?.userInfo ?? {};
  const o = ctx.flags.str('output');
  if (o === 'json' || o === 'yaml') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { printJson } = require('../printers/gojson') as typeof import('../printers/gojson');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { toGoYaml } = require('../printers/goyaml') as typeof import('../printers/goyaml');
    ctx.out(o === 'json' ? printJson(r, false) : toGoYaml(r));
    return 0;
  }
  let t = 'ATTRIBUTE\tVALUE\n';
  if (u.username) t += `Username\t${u.username}\n`;
  if (u.uid) t += `UID\t${u.uid}\n`;
  if (u.groups?.length) t += `Groups\t${goSlice(u.groups)}\n`;
  for (const k of Object.keys(u.extra ?? {}).sort()) t += `Extra: ${k}\t${goSlice(u.extra[k])}\n`;
  ctx.out(tabwrite(t, { minWidth: 0, padding: 3 }));
  return 0;
}
