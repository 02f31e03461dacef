/** skiffctl create namespace|configmap, delete, label, annotate */
import { ApiError, formatApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { createFromFiles, deleteBySelector, deleteFromFiles } from './apply';
import { GENERATORS } from './generators';

function needOneName(ctx: Ctx, args: string[], sub: string): string {
  if (args.length !== 1) {
    throw new CliError(`error: exactly one NAME is required, got ${args.length}\nSee 'skiffctl create ${sub} -h' for help and examples`);
  }
  return args[0] as string;
}

export async function create(ctx: Ctx, args: string[]): Promise<number> {
  if (ctx.flags.arr('filename').length) {
    if (args.length) throw cliError(`Unexpected args: [${args.join(' ')}]\nSee 'kubectl create -h' for help and examples`);
    return createFromFiles(ctx);
  }
  const [sub, ...rest] = args;
  const gen = GENERATORS[sub ?? ''];
  if (gen) return gen(ctx, rest);
  const client = ctx.client();
  const q = { fieldManager: 'kubectl-create', fieldValidation: 'Strict' };
  switch (sub) {
    case 'namespace':
    case 'ns': {
      const name = needOneName(ctx, rest, 'namespace');
      await client.request('POST', '/api/v1/namespaces', {
        query: q, body: { kind: 'Namespace', apiVersion: 'v1', metadata: { name }, spec: {}, status: {} },
      });
      ctx.out(`namespace/${name} created\n`);
      return 0;
    }
    case 'configmap':
    case 'cm': {
      const name = needOneName(ctx, rest, 'configmap');
      const data: Record<string, string> = {};
      for (const lit of ctx.flags.arr('from-literal')) {
        const eq = lit.indexOf('=');
        if (eq <= 0) throw cliError(`invalid literal source ${lit}, expected key=value`);
        const k = lit.slice(0, eq);
        if (k in data) throw cliError(`cannot add key ${k}, another key by that name already exists in Data for ConfigMap "${name}"`);
        data[k] = lit.slice(eq + 1);
      }
      const binaryData = configMapFiles(ctx, name, data);
      const body: Record<string, unknown> = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: ctx.namespace } };
      if (Object.keys(data).length) body.data = data;
      if (Object.keys(binaryData).length) body.binaryData = binaryData;
      try {
        await client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/configmaps`, { query: q, body });
      } catch (e) {
        if (e instanceof ApiError) throw cliError(`failed to create configmap: ${e.message}`);
        throw e;
      }
      ctx.out(`configmap/${name} created\n`);
      return 0;
    }
    case undefined:
      throw cliError('must specify one of -f and -k');
    default:
      throw cliError(`unknown command "${sub}" for "skiffctl create"`);
  }
}

/** (resource, names) from `TYPE NAME...` or `TYPE/NAME...`. */
async function typeAndNames(ctx: Ctx, args: string[]): Promise<{ r: ApiResource; name: string }[]> {
  const disc = ctx.discovery();
  const first = args[0];
  if (first === undefined) throw cliError('You must provide one or more resources by argument or filename.');
  if (first.includes('/')) {
    const out: { r: ApiResource; name: string }[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw cliError('arguments in resource/name form must have a single resource and name');
      out.push({ r: await disc.resolve(a.slice(0, i)), name: a.slice(i + 1) });
    }
    return out;
  }
  const r = await disc.resolve(first);
  return args.slice(1).map((name) => ({ r, name }));
}

async function waitGone(ctx: Ctx, path: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await ctx.client().get(path);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (Date.now() > deadline) throw cliError(`timed out waiting for the condition on ${path}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function del(ctx: Ctx, args: string[]): Promise<number> {
  if (ctx.flags.arr('filename').length) {
    if (args.length) throw cliError(`Unexpected args: [${args.join(' ')}]\nSee 'kubectl delete -h' for help and examples`);
    return deleteFromFiles(ctx);
  }
  const bySel = ctx.flags.has('selector') || ctx.flags.bool('all') || ctx.flags.has('field-selector');
  if (bySel) {
    if (args.length === 0) throw cliError('at least one resource must be specified to use a selector');
    if (args.length > 1 || (args[0] ?? '').includes('/')) throw cliError('name cannot be provided when a selector is specified');
    return deleteBySelector(ctx, args[0] as string);
  }
  const items = await typeAndNames(ctx, args);
  if (items.length === 0) throw cliError('resource(s) were provided, but no name was specified');
  const errors: string[] = [];
  const wait = ctx.flags.bool('wait', true);
  for (const { r, name } of items) {
    const path = resourcePath(r, ctx.namespace, name);
    try {
      await ctx.client().request('DELETE', path, { body: { propagationPolicy: 'Background' } });
    } catch (e) {
      if (e instanceof ApiError) {
        if (!(isNotFound(e) && ctx.flags.bool('ignore-not-found'))) errors.push(formatApiError(e));
        continue;
      }
      throw e;
    }
    ctx.out(`${kindName(r)} "${name}" deleted\n`);
    if (wait) await waitGone(ctx, path);
  }
  if (errors.length) throw new CliError(errors.join('\n'));
  return 0;
}

type Obj = { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } };

/** label and annotate: GET, check --overwrite, merge patch of metadata.labels|annotations. */
export async function labelOrAnnotate(ctx: Ctx, args: string[], what: 'labels' | 'annotations'): Promise<number> {
  const isLabel = what === 'labels';
  const kvIdx = args.findIndex((a) => a.includes('=') || a.endsWith('-'));
  const resArgs = kvIdx < 0 ? args : args.slice(0, kvIdx);
  const kvArgs = kvIdx < 0 ? [] : args.slice(kvIdx);
  if (resArgs.length === 0) throw cliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  const items = await typeAndNames(ctx, resArgs);
  if (kvArgs.length === 0) throw cliError(`at least one ${isLabel ? 'label' : 'annotation'} update is required`);
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const kv of kvArgs) {
    const eq = kv.indexOf('=');
    if (eq > 0) set[kv.slice(0, eq)] = kv.slice(eq + 1);
    else if (kv.endsWith('-') && kv.length > 1) remove.push(kv.slice(0, -1));
    else throw cliError(`invalid ${isLabel ? 'label' : 'annotation'} spec: ${kv}`);
  }
  const overwrite = ctx.flags.bool('overwrite');
  for (const { r, name } of items) {
    const path = resourcePath(r, ctx.namespace, name);
    const obj = await ctx.client().get<Obj>(path);
    const existing: Record<string, string> = { ...(obj.metadata?.[what] ?? {}) };
    if (!overwrite) {
      const dup = Object.keys(set).filter((k) => k in existing);
      if (dup.length) {
        if (isLabel) throw cliError(`'${dup[0]}' already has a value (${existing[dup[0] as string]}), and --overwrite is false`);
        throw cliError(`--overwrite is false but found the following declared annotation(s): ${dup.map((k) => `'${k}' already has a value (${existing[k]})`).join('; ')}`);
      }
    }
    const before = JSON.stringify(existing);
    const after: Record<string, string> = { ...existing };
    const patchMap: Record<string, string | null> = {};
    for (const k of remove) {
      if (!(k in existing)) {
        if (isLabel) ctx.out(`label "${k}" not found.\n`);
        continue;
      }
      delete after[k];
      patchMap[k] = null;
    }
    for (const [k, v] of Object.entries(set)) {
      after[k] = v;
      if (existing[k] !== v) patchMap[k] = v;
    }
    const changed = Object.keys(patchMap).length > 0;
    if (changed) {
      await ctx.client().request('PATCH', path, {
        contentType: 'application/merge-patch+json',
        query: { fieldManager: isLabel ? 'kubectl-label' : 'kubectl-annotate' },
        body: { metadata: { [what]: patchMap } },
      });
    }
    let msg = isLabel ? 'not labeled' : 'annotated';
    if (isLabel && changed) {
      const afterJson = Object.keys(after).length ? JSON.stringify(after) : '';
      const beforeJson = Object.keys(existing).length ? before : '';
      msg = !overwrite && afterJson.length < beforeJson.length ? 'unlabeled' : 'labeled';
    }
    ctx.out(`${kindName(r)}/${name} ${msg}\n`);
  }
  return 0;
}

/**
 * `create configmap --from-file=[key=]path`: a file becomes one key (its base name unless given),
 * a directory one key per regular file in it (lexical order, subdirectories skipped). UTF-8
 * content goes to data, anything else base64 to binaryData, like kubectl.
 */
function configMapFiles(ctx: Ctx, name: string, data: Record<string, string>): Record<string, string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { basename, join } = require('node:path') as typeof import('node:path');
  const binary: Record<string, string> = {};
  const add = (key: string, path: string): void => {
    if (key in data || key in binary) throw cliError(`cannot add key "${key}", another key by that name already exists in Data for ConfigMap "${name}"`);
    const buf = fs.readFileSync(path);
    const text = buf.toString('utf8');
    if (Buffer.from(text, 'utf8').equals(buf)) data[key] = text;
    else binary[key] = buf.toString('base64');
  };
  for (const src of ctx.flags.arr('from-file')) {
    const eq = src.indexOf('=');
    const key = eq > 0 ? src.slice(0, eq) : undefined;
    const path = eq > 0 ? src.slice(eq + 1) : src;
    let st: import('node:fs').Stats;
    try { st = fs.statSync(path); } catch { throw cliError(`error reading ${path}: no such file or directory`); }
    if (st.isDirectory()) {
      if (key) throw cliError(`cannot give a key name for a directory path`);
      for (const f of fs.readdirSync(path).sort()) {
        const p = join(path, f);
        if (fs.statSync(p).isFile()) add(f, p);
      }
    } else add(key ?? basename(path), path);
  }
  return binary;
}
