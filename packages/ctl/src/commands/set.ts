/** set image | env | resources: edit the pod template of a workload and send kubectl's two-way strategic merge patch. */
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { patchMeta, twoWayMergePatch } from '../smp';
import { targets } from './misc';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The pod spec inside an object of a workload kind (kubectl's UpdatePodSpecForObject). */
export function podSpecOf(obj: Any): Any | undefined {
  switch (obj?.kind) {
    case 'Pod': return (obj.spec ??= {});
    case 'CronJob': return (((((obj.spec ??= {}).jobTemplate ??= {}).spec ??= {}).template ??= {}).spec ??= {});
    case 'Deployment': case 'ReplicaSet': case 'DaemonSet': case 'StatefulSet': case 'Job': case 'ReplicationController':
      return (((obj.spec ??= {}).template ??= {}).spec ??= {});
    default: return undefined;
  }
}

/** Go's path.Match for the simple globs kubectl's container selectors use (`*`, `?`, `[...]`). */
function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`).test(name);
}

function splitArgs(args: string[], isChange: (a: string) => boolean): { res: string[]; changes: string[] } {
  const i = args.findIndex(isChange);
  return i < 0 ? { res: args, changes: [] } : { res: args.slice(0, i), changes: args.slice(i) };
}

async function resolveTargets(ctx: Ctx, res: string[]): Promise<{ r: ApiResource; name: string }[]> {
  if (res.length > 1 && res[0]?.includes('/') !== res[res.length - 1]?.includes('/')) {
    throw cliError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. \'kubectl get resource/<resource_name>\' instead of \'kubectl get resource resource/<resource_name>\'');
  }
  return targets(ctx, res);
}

/** Fetches each object, lets `fn` change its pod spec, sends the two-way SMP and prints `verb`. */
async function patchEach(ctx: Ctx, items: { r: ApiResource; name: string }[], verb: string, fn: (obj: Any, spec: Any) => void): Promise<void> {
  const client = ctx.client();
  for (const { r, name } of items) {
    const path = resourcePath(r, r.namespaced ? ctx.namespace : undefined, name);
    const obj = await client.get<Any>(path);
    const before = JSON.parse(JSON.stringify(obj)) as Any;
    const spec = podSpecOf(obj);
    if (!spec) throw cliError(`${kindName(r)}/${name} ${r.kind} is not supported`);
    fn(obj, spec);
    const patch = twoWayMergePatch(before, obj, patchMeta(obj.apiVersion, obj.kind));
    if (Object.keys(patch).length === 0) continue;
    const dry = ctx.flags.str('dry-run');
    if (dry === 'client' || dry === 'true') {
      printObj(ctx, r, name, verb, obj);
      continue;
    }
    const actual = await client.request('PATCH', path, {
      contentType: 'application/strategic-merge-patch+json', body: patch,
      query: { fieldManager: ctx.flags.str('field-manager') ?? 'kubectl-set', dryRun: dry === 'server' ? 'All' : undefined },
    });
    printObj(ctx, r, name, verb, actual);
  }
}

function printObj(ctx: Ctx, r: ApiResource, name: string, verb: string, obj: unknown): void {
  const dry = ctx.flags.str('dry-run');
  const suffix = dry === 'client' || dry === 'true' ? ' (dry run)' : dry === 'server' ? ' (server dry run)' : '';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { printResult } = require('./apply') as typeof import('./apply');
  printResult(ctx, r, name, verb + suffix, obj);
}

export async function set(ctx: Ctx, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'image') return setImage(ctx, rest);
  if (sub === 'env') return setEnv(ctx, rest);
  if (sub === 'resources') return setResources(ctx, rest);
  if (sub === undefined) throw cliError('Unexpected args: []\nSee \'kubectl set -h\' for help and examples');
  throw new CliError(`error: unknown command "${sub}"\nSee 'kubectl set -h' for help and examples`);
}

async function setImage(ctx: Ctx, args: string[]): Promise<number> {
  const { res, changes } = splitArgs(args, (a) => a.includes('='));
  if (res.length === 0) throw cliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  if (changes.length === 0) throw cliError('at least one image update is required');
  const images: [string, string][] = [];
  for (const c of changes) {
    const i = c.indexOf('=');
    if (i < 0) throw cliError(`invalid image update: ${c}`);
    images.push([c.slice(0, i), c.slice(i + 1)]);
  }
  const items = await resolveTargets(ctx, res);
  await patchEach(ctx, items, 'image updated', (_obj, spec) => {
    for (const [name, image] of images) {
      let found = false;
      for (const list of [spec.initContainers, spec.containers, spec.ephemeralContainers]) {
        for (const c of (list ?? []) as Any[]) {
          if (name === '*' || c.name === name) { c.image = image; found = true; }
        }
      }
      if (!found) throw cliError(`unable to find container named ${JSON.stringify(name)}`);
    }
  });
  return 0;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function envRefString(from: Any): string {
  if (from.configMapKeyRef) return `configmap ${from.configMapKeyRef.name}, key ${from.configMapKeyRef.key}`;
  if (from.secretKeyRef) return `secret ${from.secretKeyRef.name}, key ${from.secretKeyRef.key}`;
  if (from.fieldRef) return `field path ${from.fieldRef.fieldPath}`;
  if (from.resourceFieldRef) {
    const rf = from.resourceFieldRef;
    const parts = [rf.containerName, rf.resource].filter((x) => x);
    return `resource ${parts.join('/')}`;
  }
  return 'invalid valueFrom';
}

async function setEnv(ctx: Ctx, args: string[]): Promise<number> {
  const { res, changes } = splitArgs(args, (a) => a.includes('=') || (a.endsWith('-') && a.length > 1 && !a.includes('/')));
  if (res.length === 0 && ctx.flags.arr('filename').length === 0) throw cliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  const list = ctx.flags.bool('list');
  if (list && ctx.flags.str('output')) throw cliError('--list and --output may not be specified together');
  const env: Any[] = [];
  const remove: string[] = [];
  for (const c of [...ctx.flags.arr('env'), ...changes]) {
    const i = c.indexOf('=');
    if (i >= 0) {
      const key = c.slice(0, i);
      if (!ENV_NAME.test(key)) {
        throw cliError(`"${key}" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`);
      }
      env.push({ name: key, value: c.slice(i + 1) });
    } else if (c.endsWith('-')) remove.push(c.slice(0, -1));
    else throw cliError(`unknown environment variable: ${c}`);
  }
  const from = ctx.flags.str('from');
  const client = ctx.client();
  if (from) {
    const items = await targets(ctx, [from]);
    for (const { r, name } of items) {
      const src = await client.get<Any>(resourcePath(r, ctx.namespace, name));
      const kind = src.kind === 'Secret' ? 'secretKeyRef' : src.kind === 'ConfigMap' ? 'configMapKeyRef' : undefined;
      if (!kind) throw cliError('unsupported resource specified in --from');
      const keys = Object.keys(src.data ?? {}).sort();
      for (const key of keys) {
        const envName = key.replace(/[^-._a-zA-Z0-9]/g, '_').toUpperCase();
        if (envName !== key) ctx.err(`Warning: key ${key} transferred to ${envName}\n`);
        env.push({ name: envName, valueFrom: { [kind]: { key, name } } });
      }
    }
  }
  const prefix = ctx.flags.str('prefix');
  if (prefix) for (const e of env) e.name = `${prefix}${e.name}`;
  const containerSel = ctx.flags.str('containers') ?? '*';
  const resolve = ctx.flags.bool('resolve');
  const items = await resolveTargets(ctx, res);
  const resolved = new Map<string, Any>();
  const lookup = async (ref: Any): Promise<string | undefined> => {
    const isCm = Boolean(ref.configMapKeyRef);
    const sel = ref.configMapKeyRef ?? ref.secretKeyRef;
    if (!sel) return undefined;
    const k = `${isCm ? 'cm' : 'secret'}/${sel.name}`;
    if (!resolved.has(k)) resolved.set(k, await client.get<Any>(`/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/${isCm ? 'configmaps' : 'secrets'}/${encodeURIComponent(sel.name)}`));
    const o = resolved.get(k);
    const v = o?.data?.[sel.key];
    if (v === undefined) return undefined;
    return isCm ? String(v) : Buffer.from(String(v), 'base64').toString('utf8');
  };
  const listOut: string[] = [];
  await patchEach(ctx, list ? [] : items, 'env updated', (obj, spec) => {
    const containers = ((spec.containers ?? []) as Any[]).filter((c) => globMatch(containerSel, c.name));
    if (containers.length === 0) {
      ctx.err(`Warning: ${obj.kind}/${obj.metadata?.name} does not have any containers matching ${JSON.stringify(containerSel)}\n`);
      return;
    }
    for (const c of containers) c.env = updateEnv(c.env ?? [], env, remove);
  });
  if (list) {
    for (const { r, name } of items) {
      const obj = await client.get<Any>(resourcePath(r, r.namespaced ? ctx.namespace : undefined, name));
      const spec = podSpecOf(obj);
      if (!spec) continue;
      const containers = ((spec.containers ?? []) as Any[]).filter((c) => globMatch(containerSel, c.name));
      if (containers.length === 0) {
        ctx.err(`Warning: ${obj.kind}/${obj.metadata?.name} does not have any containers matching ${JSON.stringify(containerSel)}\n`);
        continue;
      }
      for (const c of containers) {
        listOut.push(`# ${obj.kind} ${obj.metadata?.name}, container ${c.name}\n`);
        for (const e of updateEnv(c.env ?? [], env, remove)) {
          if (!e.valueFrom) { listOut.push(`${e.name}=${e.value ?? ''}\n`); continue; }
          const v = resolve ? await lookup(e.valueFrom).catch(() => undefined) : undefined;
          listOut.push(v !== undefined ? `${e.name}=${v}\n` : `# ${e.name} from ${envRefString(e.valueFrom)}\n`);
        }
      }
    }
    ctx.out(listOut.join(''));
  }
  return 0;
}

function updateEnv(existing: Any[], env: Any[], remove: string[]): Any[] {
  const out: Any[] = [];
  const covered = new Set(remove);
  for (const e of existing) {
    if (covered.has(e.name)) continue;
    const newer = env.find((n) => n.name === e.name);
    if (newer) { covered.add(e.name); out.push(newer); continue; }
    out.push(e);
  }
  for (const e of env) {
    if (covered.has(e.name)) continue;
    covered.add(e.name);
    out.push(e);
  }
  return out;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

function parseResourceList(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!s) return out;
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) throw cliError(`invalid resource spec: ${part}`);
    const v = part.slice(i + 1);
    if (!QUANTITY.test(v)) throw cliError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
    out[part.slice(0, i)] = v;
  }
  return out;
}

async function setResources(ctx: Ctx, args: string[]): Promise<number> {
  const limits = parseResourceList(ctx.flags.str('limits'));
  const requests = parseResourceList(ctx.flags.str('requests'));
  if (args.length === 0) throw cliError('one or more resources must be specified as <resource> <name> or <resource>/<name>');
  if (Object.keys(limits).length === 0 && Object.keys(requests).length === 0) throw cliError('you must specify an update to requests or limits (in the form of --requests/--limits)');
  const items = await resolveTargets(ctx, args);
  const sel = ctx.flags.str('containers') ?? '*';
  await patchEach(ctx, items, 'resource requirements updated', (_obj, spec) => {
    const containers = ((spec.containers ?? []) as Any[]).concat((spec.initContainers ?? []) as Any[]).filter((c) => globMatch(sel, c.name));
    if (containers.length === 0) throw cliError(`unable to find container named ${sel}`);
    for (const c of containers) {
      c.resources ??= {};
      if (Object.keys(limits).length) c.resources.limits = { ...(c.resources.limits ?? {}), ...limits };
      if (Object.keys(requests).length) c.resources.requests = { ...(c.resources.requests ?? {}), ...requests };
    }
  });
  return 0;
}
