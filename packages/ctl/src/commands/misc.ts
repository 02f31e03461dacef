/** scale, patch, cordon/uncordon, taint, rollout pause|resume|restart|history|status|undo, cluster-info */
import { ApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { goJson } from '../printers/gojson';
import { deepEqual } from '../smp';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

export async function targets(ctx: Ctx, args: string[]): Promise<{ r: ApiResource; name: string }[]> {
  const disc = ctx.discovery();
  if (args.length === 0) return [];
  if (args[0]?.includes('/')) {
    const out: { r: ApiResource; name: string }[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw cliError('arguments in resource/name form must have a single resource and name');
      out.push({ r: await disc.resolve(a.slice(0, i)), name: a.slice(i + 1) });
    }
    return out;
  }
  const r = await disc.resolve(args[0] as string);
  return args.slice(1).map((name) => ({ r, name }));
}

/** A klog error line as kubectl's cobra wrapper prints it for missing required flags. */
export function klogCommandFailed(msg: string): CliError {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const ts = `${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
  return new CliError(`E${ts} ${String(process.pid).padStart(7)} run.go:72] "command failed" err=${JSON.stringify(msg)}`);
}

export async function scale(ctx: Ctx, args: string[]): Promise<number> {
  if (!ctx.flags.has('replicas')) throw klogCommandFailed('required flag(s) "replicas" not set');
  const replicas = Number(ctx.flags.str('replicas'));
  if (!Number.isInteger(replicas) || replicas < 0) throw cliError('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const items = await targets(ctx, args);
  if (items.length === 0) throw cliError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
  const errors: string[] = [];
  const found: { r: ApiResource; name: string; obj: Any }[] = [];
  for (const { r, name } of items) {
    try {
      found.push({ r, name, obj: await ctx.client().get(resourcePath(r, ctx.namespace, name)) });
    } catch (e) {
      if (e instanceof ApiError && isNotFound(e)) { errors.push(e.message); continue; }
      throw e;
    }
  }
  if (found.length === 0) throw cliError(`no objects passed to scale ${errors.join(', ')}`);
  for (const { r, name, obj } of found) {
    if (ctx.flags.has('current-replicas') && Number(ctx.flags.str('current-replicas')) !== (obj.spec?.replicas ?? 1)) {
      throw cliError(`Expected replicas to be ${ctx.flags.str('current-replicas')}, was ${obj.spec?.replicas ?? 1}`);
    }
    await ctx.client().request('PATCH', `${resourcePath(r, ctx.namespace, name)}/scale`, { contentType: 'application/merge-patch+json', body: { spec: { replicas } } });
    ctx.out(`${kindName(r)}/${name} scaled\n`);
  }
  if (errors.length) throw new CliError(`Error from server (NotFound): ${errors.join('\n')}`);
  return 0;
}

function parsePatchText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parseYamlDocs } = require('../manifests') as typeof import('../manifests');
    return parseYamlDocs(text, 'patch')[0] ?? null;
  }
}

export async function patch(ctx: Ctx, args: string[]): Promise<number> {
  const text = ctx.flags.str('patch');
  if (text === undefined) throw cliError('must specify -p to patch');
  const type = ctx.flags.str('type') ?? 'strategic';
  const ct: Record<string, string> = { strategic: 'application/strategic-merge-patch+json', merge: 'application/merge-patch+json', json: 'application/json-patch+json' };
  if (!ct[type]) throw cliError(`--type must be one of [json merge strategic], not "${type}"`);
  const body = goJson(parsePatchText(text));
  const items = await targets(ctx, args);
  if (items.length === 0) throw cliError('You must provide one or more resources by argument or filename.');
  for (const { r, name } of items) {
    const path = resourcePath(r, ctx.namespace, name);
    const before = await ctx.client().get(path);
    const after = await ctx.client().request('PATCH', path, { contentType: ct[type], body, query: { fieldManager: ctx.flags.str('field-manager') ?? 'kubectl-patch' } });
    const o = ctx.flags.str('output');
    if (o === 'name') ctx.out(`${kindName(r)}/${name}\n`);
    else if (o === 'json' || o === 'yaml') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { printResult } = require('./apply') as typeof import('./apply');
      printResult(ctx, r, name, 'patched', after);
    } else ctx.out(`${kindName(r)}/${name} patched${deepEqual(before, after) ? ' (no change)' : ''}\n`);
  }
  return 0;
}

export async function cordon(ctx: Ctx, args: string[], on: boolean): Promise<number> {
  if (args.length === 0) throw cliError(`USAGE: ${on ? 'cordon' : 'uncordon'} NODE [flags]\nSee 'kubectl ${on ? 'cordon' : 'uncordon'} -h' for help and examples`);
  const r = await ctx.discovery().resolve('nodes');
  for (const name of args) {
    const path = resourcePath(r, undefined, name);
    const node = await ctx.client().get<Any>(path);
    if ((node.spec?.unschedulable === true) === on) {
      ctx.out(`node/${name} already ${on ? 'cordoned' : 'uncordoned'}\n`);
      continue;
    }
    await ctx.client().request('PATCH', path, { contentType: 'application/strategic-merge-patch+json', body: { spec: { unschedulable: on ? true : null } } });
    ctx.out(`node/${name} ${on ? 'cordoned' : 'uncordoned'}\n`);
  }
  return 0;
}

const EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export async function taint(ctx: Ctx, args: string[]): Promise<number> {
  const idx = args.findIndex((a) => a.includes('=') || a.includes(':') || a.endsWith('-'));
  const resArgs = idx < 0 ? args : args.slice(0, idx);
  const taintArgs = idx < 0 ? [] : args.slice(idx);
  if (taintArgs.length === 0) throw cliError('at least one taint update is required');
  const add: Any[] = [];
  const remove: { key: string; effect?: string }[] = [];
  for (const t of taintArgs) {
    if (t.endsWith('-')) {
      const [key, effect] = t.slice(0, -1).split(':') as [string, string | undefined];
      if (effect !== undefined && !EFFECTS.includes(effect)) throw cliError(`invalid taint effect: ${effect}, unsupported taint effect\nSee 'kubectl taint -h' for help and examples`);
      remove.push({ key, effect });
      continue;
    }
    const m = /^([^=:]+)(?:=([^:]*))?:(.*)$/.exec(t);
    if (!m) throw cliError(`invalid taint spec: ${t}, taint effect is missing`);
    if (!EFFECTS.includes(m[3] as string)) throw cliError(`invalid taint effect: ${m[3]}, unsupported taint effect\nSee 'kubectl taint -h' for help and examples`);
    const tt: Any = { key: m[1], effect: m[3] };
    if (m[2]) tt.value = m[2];
    add.push(tt);
  }
  // kubectl taint resolves its first argument as a type only (TYPE/NAME is not accepted)
  if (resArgs[0]?.includes('/')) throw new CliError(`the server doesn't have a resource type "${resArgs[0]}"`);
  const items = await targets(ctx, resArgs);
  const overwrite = ctx.flags.bool('overwrite');
  for (const { r, name } of items) {
    const path = resourcePath(r, undefined, name);
    const node = await ctx.client().get<Any>(path);
    const old: Any[] = node.spec?.taints ?? [];
    if (!overwrite) {
      const dup = add.filter((a) => old.some((t) => t.key === a.key && t.effect === a.effect));
      if (dup.length) throw cliError(`node ${name} already has ${dup.map((d) => d.key).join(',')} taint(s) with same effect(s) and --overwrite is false`);
    }
    // reorganizeTaints: the new taints first, then the old ones they do not replace
    let next: Any[] = [...add];
    for (const t of old) if (!next.some((n) => n.key === t.key && n.effect === t.effect)) next.push(t);
    const added = old.length !== next.length;
    let removed = false;
    for (const rm of remove) {
      const before = next.length;
      next = next.filter((t) => !(t.key === rm.key && (rm.effect === undefined || t.effect === rm.effect)));
      removed = next.length !== before;
      if (!removed) throw cliError(`taint "${rm.effect ? `${rm.key}:${rm.effect}` : rm.key}" not found`);
    }
    const op = (added && removed) || overwrite ? 'modified' : added ? 'tainted' : 'untainted';
    await ctx.client().request('PATCH', path, {
      contentType: 'application/strategic-merge-patch+json', query: { fieldManager: 'kubectl-taint', fieldValidation: 'Strict' },
      body: { spec: { taints: next.length ? next : null } },
    });
    ctx.out(`node/${name} ${op}\n`);
  }
  return 0;
}

async function ownedReplicaSets(ctx: Ctx, d: Any): Promise<Any[]> {
  const sel = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await ctx.client().get<{ items?: Any[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(d.metadata.namespace)}/replicasets`, { query: { labelSelector: sel } });
  return (list.items ?? []).filter((rs: Any) => (rs.metadata?.ownerReferences ?? []).some((o: Any) => o.controller && o.uid === d.metadata.uid));
}

export async function rollout(ctx: Ctx, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const subs = ['history', 'pause', 'restart', 'resume', 'status', 'undo'];
  if (!sub || !subs.includes(sub)) {
    if (!sub) throw cliError(`Unexpected args: []\nSee 'kubectl rollout -h' for help and examples`);
    throw cliError(`unknown command "${sub}" for "kubectl rollout"`);
  }
  const items = await targets(ctx, rest);
  if (items.length === 0) throw cliError('required resource not specified');
  for (const { r, name } of items) {
    const path = resourcePath(r, ctx.namespace, name);
    const obj = await ctx.client().get<Any>(path);
    const id = `${kindName(r)}/${name}`;
    const quoted = `${r.resource}${r.group ? `.${r.group}` : ''} "${name}"`;
    const smp = (body: unknown): Promise<unknown> => ctx.client().request('PATCH', path, { contentType: 'application/strategic-merge-patch+json', body, query: { fieldManager: 'kubectl-rollout' } });
    switch (sub) {
      case 'pause':
        if (obj.spec?.paused) throw cliError(`${quoted} is already paused`);
        await smp({ spec: { paused: true } });
        ctx.out(`${id} paused\n`);
        break;
      case 'resume':
        if (!obj.spec?.paused) throw cliError(`${quoted} is not paused`);
        await smp({ spec: { paused: null } });
        ctx.out(`${id} resumed\n`);
        break;
      case 'restart':
        if (obj.spec?.paused) throw cliError(`${quoted} can't restart paused deployment (run rollout resume first)`);
        await smp({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString().replace(/\.\d+Z$/, 'Z') } } } } });
        ctx.out(`${id} restarted\n`);
        break;
      case 'history': {
        if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(r.kind)) throw cliError(`error retrieving history for "${r.kind}", no visitor method exists for {${r.group} ${r.kind}}`);
        const rev = ctx.flags.str('revision');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const ru = require('./rollout-undo') as typeof import('./rollout-undo');
        if (rev && rev !== '0') {
          await ru.historyRevision(ctx, r, obj, Number(rev));
          break;
        }
        const rss = r.kind === 'Deployment' ? await ownedReplicaSets(ctx, obj) : [];
        const crs = r.kind === 'Deployment' ? [] : await ru.controlledRevisions(ctx, obj);
        const hist = crs.map((cr: Any) => ({ rev: Number(cr.revision ?? 0), cause: cr.metadata?.annotations?.['kubernetes.io/change-cause'] ?? '<none>' })).concat(rss.map((rs: Any) => ({ rev: Number(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0), cause: rs.metadata?.annotations?.['kubernetes.io/change-cause'] ?? '<none>' })))
          .filter((h) => h.rev > 0).sort((a, b) => a.rev - b.rev);
        ctx.out(`${id} \n`);
        if (hist.length === 0) { ctx.out('No rollout history found.\n'); break; }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { tabwrite } = require('../printers/tabwriter') as typeof import('../printers/tabwriter');
        ctx.out(tabwrite(`REVISION\tCHANGE-CAUSE\n${hist.map((h) => `${h.rev}\t${h.cause}\n`).join('')}`, { minWidth: 0, padding: 2 }) + '\n');
        break;
      }
      case 'undo': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await (require('./rollout-undo') as typeof import('./rollout-undo')).undo(ctx, r, obj);
        break;
      }
      case 'status': {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        await (require('./rollout-status') as typeof import('./rollout-status')).rolloutStatus(ctx, r, { kind: r.kind, ...obj });
        break;
      }
    }
  }
  return 0;
}

export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let m: RegExpExecArray | null;
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  while ((m = re.exec(s))) total += Number(m[1]) * ({ ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
  return total;
}

export async function clusterInfo(ctx: Ctx, args: string[]): Promise<number> {
  if (args[0] === 'dump') throw cliError('cluster-info dump is not supported by skiffctl');
  await ctx.client().get('/api/v1/namespaces/kube-system/services', { query: { labelSelector: 'kubernetes.io/cluster-service=true' } }).catch((e) => {
    if (!(e instanceof ApiError)) throw e;
  });
  ctx.out(`Kubernetes control plane is running at ${ctx.rest().server}\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n`);
  return 0;
}
