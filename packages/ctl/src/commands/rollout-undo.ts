/** rollout undo and rollout history --revision: deployments (ReplicaSets), statefulsets and daemonsets (ControllerRevisions). */
import { Flags } from '../args';
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { cliError } from '../errors';
import { deepEqual } from '../smp';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';
const SKIP_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration', REVISION, 'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas', 'deployment.kubernetes.io/max-replicas', 'deprecated.deployment.rollback.to',
]);

export async function ownedReplicaSets(ctx: Ctx, d: Any): Promise<Any[]> {
  const sel = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await ctx.client().get<{ items?: Any[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(d.metadata.namespace)}/replicasets`, { query: { labelSelector: sel } });
  return (list.items ?? []).filter((rs: Any) => (rs.metadata?.ownerReferences ?? []).some((o: Any) => o.controller && o.uid === d.metadata.uid));
}

function revisionOf(rs: Any): number | undefined {
  const v = rs.metadata?.annotations?.[REVISION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function withoutHash(t: Any): Any {
  const c = JSON.parse(JSON.stringify(t ?? {}));
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH];
    if (Object.keys(c.metadata.labels).length === 0) delete c.metadata.labels;
  }
  return c;
}

/**
 * kubectl's DescribePodTemplate text (tabs not aligned: `rollout history --revision` and
 * `rollout undo --dry-run` print it raw). Reuses the describe command's deployment describer
 * with the tabwriter swapped for the identity while it runs.
 */
export async function podTemplateText(ctx: Ctx, template: Any): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tw = require('../printers/tabwriter') as { tabwrite: (s: string, o?: unknown) => string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { describe } = require('./describe') as typeof import('./describe');
  let text = '';
  const fakeClient = {
    get: async (path: string): Promise<unknown> => {
      if (!path.includes('/deployments/')) throw new Error('not needed');
      return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'default' }, spec: { template } };
    },
  };
  const fake = Object.create(ctx) as Ctx;
  Object.defineProperty(fake, 'client', { value: () => fakeClient });
  Object.defineProperty(fake, 'discovery', { value: () => ctx.discovery() });
  Object.defineProperty(fake, 'flags', { value: new Flags(new Map([['show-events', false]])) });
  Object.defineProperty(fake, 'namespace', { value: 'default' });
  Object.defineProperty(fake, 'out', { value: (s: string) => { text += s; } });
  const orig = tw.tabwrite;
  tw.tabwrite = (s: string) => s;
  try {
    await describe(fake, ['deployments.apps', 'x']);
  } finally {
    tw.tabwrite = orig;
  }
  const i = text.indexOf('Pod Template:\n');
  return i >= 0 ? text.slice(i) : text;
}

/** ControllerRevisions a StatefulSet or DaemonSet controls (kubectl's controlledHistory), by revision. */
export async function controlledRevisions(ctx: Ctx, obj: Any): Promise<Any[]> {
  const sel = Object.entries(obj.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const list = await ctx.client().get<{ items?: Any[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(obj.metadata.namespace)}/controllerrevisions`, { query: { labelSelector: sel } });
  return (list.items ?? []).filter((cr: Any) => (cr.metadata?.ownerReferences ?? []).some((o: Any) => o.controller && o.uid === obj.metadata.uid))
    .sort((a: Any, b: Any) => Number(a.revision ?? 0) - Number(b.revision ?? 0));
}

/** The pod template a ControllerRevision's patch (`{spec:{template:{..., $patch: replace}}}`) restores. */
function revisionTemplate(cr: Any): Any {
  const t = JSON.parse(JSON.stringify(cr.data?.spec?.template ?? {}));
  delete t.$patch;
  return t;
}

export async function historyRevision(ctx: Ctx, r: ApiResource, obj: Any, revision: number): Promise<void> {
  if (r.kind === 'StatefulSet' || r.kind === 'DaemonSet') {
    const cr = (await controlledRevisions(ctx, obj)).find((x: Any) => Number(x.revision) === revision);
    if (!cr) throw cliError('unable to find the specified revision');
    ctx.out(`${kindName(r)}/${obj.metadata.name} with revision #${revision}\n`);
    ctx.out(`${await podTemplateText(ctx, revisionTemplate(cr))}\n`);
    return;
  }
  if (r.kind !== 'Deployment') throw cliError(`skiffctl: rollout history --revision for ${r.kind} is not supported yet`);
  const rss = await ownedReplicaSets(ctx, obj);
  const rs = rss.find((x) => revisionOf(x) === revision);
  if (!rs) throw cliError('unable to find the specified revision');
  ctx.out(`${kindName(r)}/${obj.metadata.name} with revision #${revision}\n`);
  ctx.out(`${await podTemplateText(ctx, rs.spec?.template)}\n`);
}

export async function undo(ctx: Ctx, r: ApiResource, obj: Any): Promise<void> {
  const name = obj.metadata.name;
  if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(r.kind)) {
    throw cliError(`error retrieving rollbacker for "${r.kind}", no visitor method exists for {${r.group} ${r.kind}}`);
  }
  const toRevision = Number(ctx.flags.str('to-revision') ?? '0');
  if (r.kind !== 'Deployment') return undoFromControllerRevisions(ctx, r, obj, toRevision);
  if (obj.spec?.paused) throw cliError(`you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/${name}' and try again`);
  const rss = await ownedReplicaSets(ctx, obj);
  let rs: Any | undefined;
  let latest: Any | undefined; let latestRev = -1;
  let prev: Any | undefined; let prevRev = -1;
  for (const x of rss) {
    const v = revisionOf(x);
    if (v === undefined) continue;
    if (toRevision === 0) {
      if (latestRev < v) { prevRev = latestRev; prev = latest; latestRev = v; latest = x; } else if (prevRev < v) { prevRev = v; prev = x; }
    } else if (toRevision === v) { rs = x; break; }
  }
  if (toRevision > 0 && !rs) throw cliError(`unable to find specified revision ${toRevision} in history`);
  if (toRevision === 0) {
    if (!prev) throw cliError(`no rollout history found for deployment "${name}"`);
    rs = prev;
  }
  const id = `${kindName(r)}/${name}`;
  if (deepEqual(withoutHash(rs.spec?.template), withoutHash(obj.spec?.template))) {
    ctx.out(`${id} skipped rollback (current template already matches revision ${toRevision})\n`);
    return;
  }
  const dry = ctx.flags.str('dry-run');
  if (dry === 'client' || dry === 'true') {
    ctx.out(`${id} ${await podTemplateText(ctx, rs.spec?.template)} (dry run)\n`);
    return;
  }
  const template = JSON.parse(JSON.stringify(rs.spec?.template ?? {}));
  if (template.metadata?.labels) delete template.metadata.labels[HASH];
  const annotations: Record<string, string> = {};
  for (const k of SKIP_ANNOTATIONS) { const v = obj.metadata?.annotations?.[k]; if (v !== undefined) annotations[k] = v; }
  for (const [k, v] of Object.entries((rs.metadata?.annotations ?? {}) as Record<string, string>)) if (!SKIP_ANNOTATIONS.has(k)) annotations[k] = v;
  try {
    await ctx.client().request('PATCH', resourcePath(r, obj.metadata.namespace, name), {
      contentType: 'application/json-patch+json',
      body: [{ op: 'replace', path: '/spec/template', value: template }, { op: 'replace', path: '/metadata/annotations', value: annotations }],
      // kubectl sends no field manager; the server then names it after kubectl's user agent
      query: { dryRun: dry === 'server' ? 'All' : undefined, fieldManager: 'kubectl' },
    });
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ApiError } = require('../client') as typeof import('../client');
    if (e instanceof ApiError) throw cliError(`failed restoring revision ${toRevision}: ${e.message}`);
    throw e;
  }
  ctx.out(`${id} rolled back${dry === 'server' ? ' (server dry run)' : ''}\n`);
}


/** StatefulSetRollbacker / DaemonSetRollbacker: a strategic merge patch with the revision's data. */
async function undoFromControllerRevisions(ctx: Ctx, r: ApiResource, obj: Any, toRevision: number): Promise<void> {
  const history = await controlledRevisions(ctx, obj);
  if (toRevision === 0 && history.length <= 1) throw cliError('no last revision to roll back to');
  const target = toRevision === 0 ? history[history.length - 2] : history.find((x: Any) => Number(x.revision) === toRevision);
  if (!target) throw cliError(`unable to find specified revision ${toRevision} in history`);
  const id = `${kindName(r)}/${obj.metadata.name}`;
  // kubectl compares bytes: the revision's raw data against json.Marshal of {spec:{template}} re-encoded
  // from its Go struct (sorted keys, `creationTimestamp: null` in the template's metadata)
  const { goJson } = require('../printers/gojson') as typeof import('../printers/gojson');
  const tmpl = JSON.parse(JSON.stringify(obj.spec?.template ?? {}));
  tmpl.metadata = { creationTimestamp: null, ...(tmpl.metadata ?? {}) };
  const currentPatch = goJson({ spec: { template: { ...tmpl, $patch: 'replace' } } });
  if (currentPatch === goJson(target.data ?? {}, '', '', false)) {
    ctx.out(`${id} skipped rollback (current template already matches revision ${toRevision})\n`);
    return;
  }
  const dry = ctx.flags.str('dry-run');
  if (dry === 'client' || dry === 'true') {
    ctx.out(`${id} will roll back to ${await podTemplateText(ctx, revisionTemplate(target))} (dry run)\n`);
    return;
  }
  try {
    await ctx.client().request('PATCH', resourcePath(r, obj.metadata.namespace, obj.metadata.name), {
      contentType: 'application/strategic-merge-patch+json', body: target.data ?? {},
      query: { dryRun: dry === 'server' ? 'All' : undefined, fieldManager: 'kubectl' },
    });
  } catch (e) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ApiError } = require('../client') as typeof import('../client');
    if (e instanceof ApiError) throw cliError(`failed restoring revision ${toRevision}: ${e.message}`);
    throw e;
  }
  ctx.out(`${id} rolled back${dry === 'server' ? ' (server dry run)' : ''}\n`);
}
