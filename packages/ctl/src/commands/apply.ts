/** create -f, apply -f (client-side and --server-side), replace -f, delete -f / -l / --all */
import { ApiError, isNotFound, withSource } from '../client';
import { Ctx } from '../context';
import { ApiResource, kindName, resourceForKind, resourcePath } from '../discovery';
import { aggregateError, cliError, ItemError } from '../errors';
import { loadManifests, Manifest, Obj } from '../manifests';
import { printJson } from '../printers/gojson';
import { goJson } from '../printers/gojson';
import { toGoYaml } from '../printers/goyaml';
import { jsonMergePatch, patchMeta, threeWayMergePatch } from '../smp';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface Located {
  m: Manifest;
  r: ApiResource;
  ns: string | undefined;
  name: string;
}

/** Maps each manifest to its resource and namespace, as the builder does. */
export async function locate(ctx: Ctx, ms: Manifest[], errors: ItemError[]): Promise<Located[]> {
  const out: Located[] = [];
  const explicitNs = ctx.flags.has('namespace');
  for (const m of ms) {
    const o = m.obj;
    const r = await resourceForKind(ctx.discovery(), String(o.apiVersion), String(o.kind));
    const name = String(o.metadata?.name ?? '');
    const ns0 = o.metadata?.namespace;
    if (!r) {
      errors.push({ plain: `resource mapping not found for name: "${name}" namespace: "${ns0 ?? ''}" from "${m.source}": no matches for kind "${String(o.kind)}" in version "${String(o.apiVersion)}"\nensure CRDs are installed first` });
      continue;
    }
    let ns: string | undefined;
    if (r.namespaced) {
      if (ns0 && explicitNs && ns0 !== ctx.namespace) {
        throw cliError(`the namespace from the provided object "${ns0}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${ns0}' to perform this operation.`);
      }
      ns = ns0 || ctx.namespace;
      o.metadata = { ...(o.metadata ?? {}), namespace: ns };
    }
    out.push({ m, r, ns, name });
  }
  return out;
}

function fileFlags(ctx: Ctx): { filenames: string[]; recursive: boolean } {
  return { filenames: ctx.flags.arr('filename'), recursive: ctx.flags.bool('recursive') };
}

function validateFlag(ctx: Ctx): string {
  const v = ctx.flags.str('validate') ?? 'strict';
  if (v === 'true' || v === 'strict') return 'Strict';
  if (v === 'false' || v === 'ignore') return 'Ignore';
  if (v === 'warn') return 'Warn';
  throw cliError(`invalid - validate option "${v}"; must be one of: strict (or true), warn, ignore (or false)`);
}

/** Prints one object for a mutating command: `kind/name verb` or in the -o format. */
export function printResult(ctx: Ctx, r: ApiResource, name: string, verb: string, obj: unknown): void {
  const o = ctx.flags.str('output');
  if (o === undefined || o === '') ctx.out(`${kindName(r)}/${name} ${verb}\n`);
  else if (o === 'name') ctx.out(`${kindName(r)}/${name}\n`);
  else if (o === 'json') ctx.out(printJson(stripManaged(obj)));
  else if (o === 'yaml') ctx.out(toGoYaml(stripManaged(obj)));
  else throw cliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml`);
}

export function stripManaged(obj: unknown): unknown {
  const md = (obj as Obj | undefined)?.metadata;
  if (md && 'managedFields' in md) delete md.managedFields;
  return obj;
}

function needFiles(ctx: Ctx): void {
  if (ctx.flags.arr('filename').length === 0) throw cliError('must specify one of -f and -k');
}

/** create -f */
export async function createFromFiles(ctx: Ctx): Promise<number> {
  needFiles(ctx);
  const fv = validateFlag(ctx);
  const errors: ItemError[] = [];
  const plain: string[] = [];
  const ms = loadManifests(fileFlags(ctx), fv !== 'Ignore', plain);
  errors.push(...plain.map((p) => ({ plain: p })));
  for (const { m, r, ns, name } of await locate(ctx, ms, errors)) {
    try {
      const created = await ctx.client().request('POST', resourcePath(r, ns), { query: { fieldManager: 'kubectl-create', fieldValidation: fv }, body: goJson(m.obj) });
      printResult(ctx, r, String((created as Obj)?.metadata?.name ?? name), 'created', created);
    } catch (e) {
      if (e instanceof ApiError) { errors.push({ api: withSource(e, 'creating', m.source) }); continue; }
      throw e;
    }
  }
  if (errors.length) throw aggregateError(errors);
  return 0;
}

/** replace -f */
export async function replace(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length) throw cliError(`Unexpected args: [${args.join(' ')}]\nSee 'kubectl replace -h' for help and examples`);
  if (ctx.flags.arr('filename').length === 0) throw cliError('must specify --filename to replace');
  const fv = validateFlag(ctx);
  const errors: ItemError[] = [];
  const plain: string[] = [];
  const ms = loadManifests(fileFlags(ctx), fv !== 'Ignore', plain);
  errors.push(...plain.map((p) => ({ plain: p })));
  for (const { m, r, ns, name } of await locate(ctx, ms, errors)) {
    try {
      const o = await ctx.client().request('PUT', resourcePath(r, ns, name), { query: { fieldManager: 'kubectl-replace', fieldValidation: fv }, body: goJson(m.obj) });
      printResult(ctx, r, name, 'replaced', o);
    } catch (e) {
      if (e instanceof ApiError) { errors.push({ api: withSource(e, 'replacing', m.source) }); continue; }
      throw e;
    }
  }
  if (errors.length) throw aggregateError(errors);
  return 0;
}

/** The manifest as kubectl stores it in the last-applied annotation (JSON + newline). */
export function lastAppliedOf(obj: Obj): string {
  const copy = JSON.parse(JSON.stringify(obj)) as Obj;
  const md = (copy.metadata ??= {});
  const ann = { ...(md.annotations ?? {}) };
  delete ann[LAST_APPLIED];
  md.annotations = ann;
  return goJson(copy) + '\n';
}

function withLastApplied(obj: Obj): Obj {
  const la = lastAppliedOf(obj);
  const copy = JSON.parse(JSON.stringify(obj)) as Obj;
  const md = (copy.metadata ??= {});
  md.annotations = { ...(md.annotations ?? {}), [LAST_APPLIED]: la };
  return copy;
}

export async function apply(ctx: Ctx, args: string[]): Promise<number> {
  if (args[0] === 'view-last-applied' || args[0] === 'set-last-applied' || args[0] === 'edit-last-applied') {
    throw cliError(`apply ${args[0]} is not supported by skiffctl`);
  }
  if (args.length) throw cliError(`Unexpected args: [${args.join(' ')}]\nSee 'kubectl apply -h' for help and examples`);
  needFiles(ctx);
  const fv = validateFlag(ctx);
  const serverSide = ctx.flags.bool('server-side');
  const errors: ItemError[] = [];
  const plain: string[] = [];
  const ms = loadManifests(fileFlags(ctx), fv !== 'Ignore', plain);
  errors.push(...plain.map((p) => ({ plain: p })));
  const client = ctx.client();
  const prune = ctx.flags.bool('prune');
  const selector = ctx.flags.str('selector');
  if (prune && !selector && !ctx.flags.bool('all')) {
    throw cliError('all resources selected for prune without explicitly passing --all. To prune all resources, pass the --all flag. If you did not mean to prune all resources, specify a label selector');
  }
  const allowed = prune && ctx.flags.arr('prune-allowlist').length ? await pruneAllowlist(ctx) : undefined;
  let located = await locate(ctx, ms, errors);
  if (selector) {
    // like the builder: objects in the files that the selector does not match are skipped
    const api = require('@skiff/api') as typeof import('@skiff/api');
    let matcher: import('@skiff/api').LabelMatcher;
    try {
      matcher = api.parseLabelSelector(selector);
    } catch (e) {
      throw cliError(`the provided selector ${JSON.stringify(selector)} is not valid: ${(e as Error).message}`);
    }
    located = located.filter((l) => matcher.matches(l.m.obj.metadata?.labels as Record<string, string> | undefined));
  }
  const visitedUids = new Set<string>();
  const visitedNs = new Set<string>();
  if (prune && ctx.flags.has('namespace')) visitedNs.add(ctx.namespace);
  const visit = (ns: string | undefined, obj: unknown): void => {
    if (ns) visitedNs.add(ns);
    const uid = (obj as Obj | undefined)?.metadata?.uid;
    if (typeof uid === 'string') visitedUids.add(uid);
  };
  for (const { m, r, ns, name } of located) {
    const path = resourcePath(r, ns, name);
    let stage = 'retrieving current configuration of';
    try {
      if (serverSide) {
        const manager = ctx.flags.str('field-manager') ?? 'kubectl';
        const res = await client.request<Obj>('PATCH', path, {
          contentType: 'application/apply-patch+yaml',
          query: { fieldManager: manager, fieldValidation: fv, force: String(ctx.flags.bool('force-conflicts')) },
          body: goJson(m.obj),
        });
        const la = res?.metadata?.annotations?.[LAST_APPLIED];
        if (la !== undefined && manager === 'kubectl') {
          const modified = goJson(res) + '\n';
          if (la !== modified) {
            // kubectl keeps a client-side annotation in step after a server-side apply
            await client.request('PATCH', path, {
              contentType: 'application/apply-patch+yaml', query: { fieldManager: 'kubectl-last-applied', fieldValidation: fv },
              body: { apiVersion: m.obj.apiVersion, kind: m.obj.kind, metadata: { name, ...(ns ? { namespace: ns } : {}), annotations: { [LAST_APPLIED]: lastAppliedOf(m.obj) } } },
            }).catch(() => undefined);
          }
        }
        visit(ns, res);
        printResult(ctx, r, name, 'serverside-applied', res);
        continue;
      }
      let live: Obj | undefined;
      try {
        live = await client.get<Obj>(path);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      const modified = withLastApplied(m.obj);
      if (!live) {
        stage = 'creating';
        const created = await client.request('POST', resourcePath(r, ns), { query: { fieldManager: 'kubectl-client-side-apply', fieldValidation: fv }, body: goJson(modified) });
        visit(ns, created);
        printResult(ctx, r, name, 'created', created);
        continue;
      }
      const laText = live.metadata?.annotations?.[LAST_APPLIED];
      if (laText === undefined) {
        ctx.err(`Warning: resource ${r.resource}/${name} is missing the ${LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n`);
      }
      let original: Obj = {};
      try {
        original = laText ? (JSON.parse(laText) as Obj) : {};
      } catch {
        original = {};
      }
      const meta = patchMeta(String(m.obj.apiVersion), String(m.obj.kind));
      const patch = meta
        ? threeWayMergePatch(original, modified, live, meta)
        : threeWayJsonMerge(original, modified, live);
      if (Object.keys(patch).length === 0) {
        visit(ns, live);
        printResult(ctx, r, name, 'unchanged', live);
        continue;
      }
      stage = 'applying patch to';
      const res = await client.request('PATCH', path, {
        contentType: meta ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json',
        query: { fieldManager: 'kubectl-client-side-apply', fieldValidation: fv },
        body: goJson(patch),
      });
      visit(ns, res);
      printResult(ctx, r, name, 'configured', res);
    } catch (e) {
      if (e instanceof ApiError) {
        errors.push({ api: serverSide ? e : withSource(e, stage, m.source) });
        continue;
      }
      throw e;
    }
  }
  if (prune) await pruneUnvisited(ctx, selector, visitedUids, visitedNs, errors, allowed);
  if (errors.length) throw aggregateError(errors);
  return 0;
}

/** `--prune-allowlist=<group>/<version>/<Kind>` (`core` for the legacy group), checked before anything is applied. */
async function pruneAllowlist(ctx: Ctx): Promise<ApiResource[]> {
  const out: ApiResource[] = [];
  for (const a of ctx.flags.arr('prune-allowlist')) {
    const parts = a.split('/');
    if (parts.length !== 3) throw cliError(`invalid GroupVersionKind format: ${a}, please follow <group/version/kind>`);
    const [g, v, kind] = parts as [string, string, string];
    const apiVersion = g === 'core' || g === '' ? v : `${g}/${v}`;
    const r = await resourceForKind(ctx.discovery(), apiVersion, kind);
    if (!r) throw cliError(`no matches for kind "${kind}" in version "${apiVersion}"`);
    out.push(r);
  }
  return out;
}

/** kubectl 1.32's default prune allowlist (used when --prune-allowlist is not given). */
const PRUNE_DEFAULT: [string, string, boolean][] = [
  ['v1', 'ConfigMap', true], ['v1', 'Endpoints', true], ['v1', 'Namespace', false], ['v1', 'PersistentVolumeClaim', true],
  ['v1', 'PersistentVolume', false], ['v1', 'Pod', true], ['v1', 'ReplicationController', true], ['v1', 'Secret', true],
  ['v1', 'Service', true], ['batch/v1', 'Job', true], ['batch/v1', 'CronJob', true], ['networking.k8s.io/v1', 'Ingress', true],
  ['apps/v1', 'DaemonSet', true], ['apps/v1', 'Deployment', true], ['apps/v1', 'ReplicaSet', true], ['apps/v1', 'StatefulSet', true],
];

/**
 * `apply --prune`: objects of the allowlisted kinds that match the selector, carry the
 * last-applied annotation and were not part of this apply are deleted (Background propagation,
 * not waited for) and printed `kind/name pruned`. Namespaced kinds are searched in the
 * namespaces this apply touched (sorted), then the cluster-scoped kinds.
 */
async function pruneUnvisited(ctx: Ctx, selector: string | undefined, uids: Set<string>, namespaces: Set<string>, errors: ItemError[], allowed: ApiResource[] | undefined): Promise<void> {
  const client = ctx.client();
  const pruneIn = async (r: ApiResource, ns: string | undefined): Promise<void> => {
    const list = await client.get<{ items?: Obj[] }>(resourcePath(r, ns), { query: { labelSelector: selector } });
    for (const o of list.items ?? []) {
      const name = String(o.metadata?.name ?? '');
      if (o.metadata?.annotations?.[LAST_APPLIED] === undefined) continue;
      if (typeof o.metadata?.uid === 'string' && uids.has(o.metadata.uid)) continue;
      try {
        await client.request('DELETE', resourcePath(r, ns, name), { body: { propagationPolicy: ctx.flags.str('cascade') === 'orphan' ? 'Orphan' : ctx.flags.str('cascade') === 'foreground' ? 'Foreground' : 'Background' } });
      } catch (e) {
        if (e instanceof ApiError) { if (!isNotFound(e)) errors.push({ api: e }); continue; }
        throw e;
      }
      printResult(ctx, r, name, 'pruned', o);
    }
  };
  const kinds: [ApiResource, boolean][] = [];
  if (allowed) {
    for (const r of allowed) kinds.push([r, r.namespaced]);
  } else {
    for (const [apiVersion, kind, namespaced] of PRUNE_DEFAULT) {
      const r = await resourceForKind(ctx.discovery(), apiVersion, kind);
      if (!r) {
        const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
        const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
        throw cliError(`error retrieving RESTMappings to prune: invalid resource ${group}/${version}, Kind=${kind}, Namespaced=${namespaced}: no matches for kind "${kind}" in version "${apiVersion}"`);
      }
      kinds.push([r, r.namespaced]);
    }
  }
  for (const ns of [...namespaces].sort()) for (const [r, namespaced] of kinds) if (namespaced) await pruneIn(r, ns);
  for (const [r, namespaced] of kinds) if (!namespaced) await pruneIn(r, undefined);
}

/** CreateThreeWayJSONMergePatch: additions/changes from current to modified, deletions from original. */
function threeWayJsonMerge(original: Obj, modified: Obj, current: Obj): Record<string, unknown> {
  const delta = jsonMergePatch(current, modified) as Record<string, unknown>;
  const dels = jsonMergePatch(original, modified) as Record<string, unknown>;
  const keepNulls = (d: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) {
      if (v === null) out[k] = null;
      else if (typeof v === 'object' && !Array.isArray(v)) {
        const sub = keepNulls(v as Record<string, unknown>);
        if (Object.keys(sub).length) out[k] = sub;
      }
    }
    return out;
  };
  const stripNulls = (d: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d)) {
      if (v === null) continue;
      if (typeof v === 'object' && !Array.isArray(v)) {
        const sub = stripNulls(v as Record<string, unknown>);
        if (Object.keys(sub).length) out[k] = sub;
      } else out[k] = v;
    }
    return out;
  };
  const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) {
      const av = out[k];
      out[k] = av && typeof av === 'object' && !Array.isArray(av) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(av as Record<string, unknown>, v as Record<string, unknown>) : v;
    }
    return out;
  };
  return merge(keepNulls(dels), stripNulls(delta));
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

/** One DELETE (Background propagation); prints `kind "name" deleted`. */
export async function deleteOne(ctx: Ctx, r: ApiResource, ns: string | undefined, name: string, source: string | undefined, errors: ItemError[], waits: string[]): Promise<void> {
  const path = resourcePath(r, ns, name);
  try {
    const body: Record<string, unknown> = { propagationPolicy: ctx.flags.str('cascade') === 'orphan' ? 'Orphan' : ctx.flags.str('cascade') === 'foreground' ? 'Foreground' : 'Background' };
    if (ctx.flags.has('grace-period')) body.gracePeriodSeconds = Number(ctx.flags.str('grace-period'));
    if (ctx.flags.bool('now')) body.gracePeriodSeconds = 1;
    await ctx.client().request('DELETE', path, { body });
  } catch (e) {
    if (e instanceof ApiError) {
      if (!(isNotFound(e) && ctx.flags.bool('ignore-not-found'))) errors.push({ api: source ? withSource(e, 'deleting', source) : e });
      return;
    }
    throw e;
  }
  ctx.out(ctx.flags.str('output') === 'name' ? `${kindName(r)}/${name}\n` : `${kindName(r)} "${name}" deleted\n`);
  waits.push(path);
}

export async function deleteFromFiles(ctx: Ctx): Promise<number> {
  const errors: ItemError[] = [];
  const plain: string[] = [];
  const ms = loadManifests(fileFlags(ctx), false, plain);
  errors.push(...plain.map((p) => ({ plain: p })));
  const waits: string[] = [];
  for (const { m, r, ns, name } of await locate(ctx, ms, errors)) {
    if (!name) { errors.push({ plain: `error when deleting "${m.source}": resource name may not be empty` }); continue; }
    await deleteOne(ctx, r, ns, name, m.source, errors, waits);
  }
  if (ctx.flags.bool('wait', true)) for (const p of waits) await waitGone(ctx, p);
  if (errors.length) throw aggregateError(errors);
  return 0;
}

/** delete TYPE[,TYPE] -l SEL | --all */
export async function deleteBySelector(ctx: Ctx, types: string): Promise<number> {
  const errors: ItemError[] = [];
  const waits: string[] = [];
  const allNs = ctx.flags.bool('all-namespaces');
  let found = 0;
  for (const t of types.split(',').filter(Boolean)) {
    const r = await ctx.discovery().resolve(t);
    const list = await ctx.client().get<{ items?: Obj[] }>(resourcePath(r, allNs ? undefined : ctx.namespace), {
      query: { labelSelector: ctx.flags.str('selector'), fieldSelector: ctx.flags.str('field-selector') },
    });
    for (const it of list.items ?? []) {
      found++;
      await deleteOne(ctx, r, r.namespaced ? it.metadata?.namespace ?? ctx.namespace : undefined, String(it.metadata?.name), undefined, errors, waits);
    }
  }
  if (found === 0) ctx.out('No resources found\n');
  if (ctx.flags.bool('wait', true)) for (const p of waits) await waitGone(ctx, p);
  if (errors.length) throw aggregateError(errors);
  return 0;
}
