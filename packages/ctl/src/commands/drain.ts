/**
 * skiffctl drain NODE: cordon, then evict (pods/eviction, retrying 429 every 5 s) or delete
 * every pod on the node that kubectl's filters let go, waiting for each to disappear.
 * Flags: --ignore-daemonsets, --delete-emptydir-data, --force, --grace-period, --timeout,
 * --disable-eviction, --pod-selector, --dry-run=client|server.
 */
import { ApiError, formatApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { Pod, podPath } from './exec-pod-target';
import { parseGoDuration } from './wait-duration';

const DAEMONSET_FATAL = 'DaemonSet-managed Pods (use --ignore-daemonsets to ignore)';
const DAEMONSET_WARNING = 'ignoring DaemonSet-managed Pods';
const LOCAL_STORAGE_FATAL = 'Pods with local storage (use --delete-emptydir-data to override)';
const LOCAL_STORAGE_WARNING = 'deleting Pods with local storage';
const UNMANAGED_FATAL = 'cannot delete Pods that declare no controller (use --force to override)';
const UNMANAGED_WARNING = 'deleting Pods that declare no controller';

type Status = { delete: boolean; kind: 'okay' | 'skip' | 'warning' | 'error'; message?: string };

const okay = (): Status => ({ delete: true, kind: 'okay' });

interface Options { force: boolean; ignoreDaemonSets: boolean; deleteEmptyDir: boolean }

function controllerOf(p: Pod): { kind?: string; name?: string } | undefined {
  return p.metadata.ownerReferences?.find((o) => o.controller === true);
}

function finished(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** kubectl's filters in order; the first that refuses a pod decides, otherwise the last one's status stands. */
async function statusOf(ctx: Ctx, p: Pod, o: Options): Promise<Status> {
  const filters: ((p: Pod) => Promise<Status> | Status)[] = [
    async (pod) => {
      const ref = controllerOf(pod);
      if (!ref || ref.kind !== 'DaemonSet' || finished(pod)) return okay();
      try {
        await ctx.client().get(`/apis/apps/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/daemonsets/${encodeURIComponent(ref.name ?? '')}`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (isNotFound(e) && o.force) return { delete: true, kind: 'warning', message: e.message };
        return { delete: false, kind: 'error', message: e.message };
      }
      if (!o.ignoreDaemonSets) return { delete: false, kind: 'error', message: DAEMONSET_FATAL };
      return { delete: false, kind: 'warning', message: DAEMONSET_WARNING };
    },
    (pod) => (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined ? { delete: false, kind: 'skip' } : okay()),
    (pod) => {
      if (!(pod.spec.volumes ?? []).some((v) => v.emptyDir !== undefined) || finished(pod)) return okay();
      if (!o.deleteEmptyDir) return { delete: false, kind: 'error', message: LOCAL_STORAGE_FATAL };
      return { delete: true, kind: 'warning', message: LOCAL_STORAGE_WARNING };
    },
    (pod) => {
      if (finished(pod) || controllerOf(pod)) return okay();
      if (o.force) return { delete: true, kind: 'warning', message: UNMANAGED_WARNING };
      return { delete: false, kind: 'error', message: UNMANAGED_FATAL };
    },
  ];
  let st = okay();
  for (const f of filters) {
    st = await f(p);
    if (!st.delete) break;
  }
  return st;
}

/** Messages grouped as kubectl groups them: `<msg>: ns/a, ns/b`, in first-seen order. */
function grouped(items: { pod: Pod; st: Status }[], kind: Status['kind']): [string, string[]][] {
  const m = new Map<string, string[]>();
  for (const { pod, st } of items) {
    if (st.kind !== kind) continue;
    const msg = st.message || 'unexpected error';
    m.set(msg, [...(m.get(msg) ?? []), `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`]);
  }
  return [...m.entries()];
}

async function podsForDeletion(ctx: Ctx, node: string, o: Options, podSelector?: string): Promise<{ pods: Pod[]; warnings: string; errors: string[] }> {
  const list = await ctx.client().get<{ items?: Pod[] }>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${node}`, labelSelector: podSelector } });
  const items: { pod: Pod; st: Status }[] = [];
  for (const pod of list.items ?? []) items.push({ pod, st: await statusOf(ctx, pod, o) });
  const errors = grouped(items, 'error').map(([msg, pods]) => `cannot delete ${msg}: ${pods.join(', ')}`);
  const warnings = grouped(items, 'warning').map(([msg, pods]) => `${msg}: ${pods.join(', ')}`).join('; ');
  return { pods: items.filter((i) => i.st.delete).map((i) => i.pod), warnings, errors };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function drain(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  if (args.length === 0) throw new CliError("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples");
  const opts: Options = { force: f.bool('force'), ignoreDaemonSets: f.bool('ignore-daemonsets'), deleteEmptyDir: f.bool('delete-emptydir-data') };
  const grace = f.has('grace-period') ? Number(f.str('grace-period')) : -1;
  const timeoutMs = f.has('timeout') ? parseGoDuration(f.str('timeout') ?? '', 'timeout') : 0;
  const timeoutText = f.str('timeout') ?? '0s';
  const dryRun = f.str('dry-run');
  const dry = dryRun === 'client' || dryRun === 'server' ? ' (dry run)' : '';
  const disableEviction = f.bool('disable-eviction');
  const client = ctx.client();
  const nodes: string[] = [];
  for (const name of args) {
    await client.get(`/api/v1/nodes/${encodeURIComponent(name)}`);
    nodes.push(name);
  }
  const drained = new Set<string>();
  for (const node of nodes) {
    const path = `/api/v1/nodes/${encodeURIComponent(node)}`;
    const obj = await client.get<{ spec?: { unschedulable?: boolean } }>(path);
    if (obj.spec?.unschedulable) ctx.out(`node/${node} already cordoned${dry}\n`);
    else {
      if (!dry) await client.request('PATCH', path, { contentType: 'application/strategic-merge-patch+json', body: { spec: { unschedulable: true } } });
      ctx.out(`node/${node} cordoned${dry}\n`);
    }
    let err: string | undefined;
    const list = await podsForDeletion(ctx, node, opts, f.str('pod-selector'));
    if (list.errors.length) err = list.errors.join('\n');
    else {
      if (list.warnings) ctx.err(`Warning: ${list.warnings}\n`);
      if (dry) {
        for (const p of list.pods) ctx.out(`evicting pod ${p.metadata.namespace ?? ''}/${p.metadata.name}${dry}\n`);
      } else {
        err = await evictAll(ctx, list.pods, { grace, timeoutMs, timeoutText, disableEviction });
        if (err) {
          const pending = await podsForDeletion(ctx, node, opts, f.str('pod-selector')).catch(() => undefined);
          if (pending && pending.pods.length) {
            ctx.err(`There are pending pods in node "${node}" when an error occurred: ${err}\n`);
            for (const p of pending.pods) ctx.err(`pod/${p.metadata.name}\n`);
          }
        }
      }
    }
    if (err === undefined) {
      drained.add(node);
      ctx.out(`node/${node} drained${dry}\n`);
      continue;
    }
    ctx.err(`error: unable to drain node "${node}" due to error: ${err}, continuing command...\n`);
    const remaining = nodes.filter((n) => !drained.has(n));
    if (remaining.length) ctx.err(`There are pending nodes to be drained:\n${remaining.map((n) => ` ${n}\n`).join('')}`);
    // an aggregate of errors prints without the `error: ` prefix; a single error with it
    throw new CliError(list.errors.length ? err : `error: ${err}`);
  }
  return 0;
}

interface EvictOptions { grace: number; timeoutMs: number; timeoutText: string; disableEviction: boolean }

/** Evicts (or deletes) every pod at once and waits for each to go; returns kubectl's error text, if any. */
async function evictAll(ctx: Ctx, pods: Pod[], o: EvictOptions): Promise<string | undefined> {
  if (pods.length === 0) return undefined;
  const client = ctx.client();
  let useEviction = !o.disableEviction;
  if (useEviction) {
    const core = await client.get<{ resources?: { name?: string }[] }>('/api/v1');
    useEviction = (core.resources ?? []).some((r) => r.name === 'pods/eviction');
  }
  const deadline = o.timeoutMs > 0 ? Date.now() + o.timeoutMs : Infinity;
  let timedOut = false;
  const one = async (pod: Pod): Promise<string | undefined> => {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name;
    for (;;) {
      if (timedOut) return undefined;
      ctx.out(`evicting pod ${ns}/${name}\n`);
      try {
        if (useEviction) {
          await client.request('POST', podPath(ns, name, 'eviction'), {
            body: { apiVersion: 'policy/v1', deleteOptions: o.grace >= 0 ? { gracePeriodSeconds: o.grace } : {}, kind: 'Eviction', metadata: { name, namespace: ns } },
          });
        } else {
          await client.request('DELETE', podPath(ns, name), { body: o.grace >= 0 ? { gracePeriodSeconds: o.grace } : {} });
        }
        break;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (isNotFound(e)) return undefined;
        if (e.code === 429 && useEviction) {
          ctx.err(`error when evicting pods/"${name}" -n "${ns}" (will retry after 5s): ${formatApiError(e).replace(/^Error from server \([^)]*\): /, '')}\n`);
          await sleep(5000);
          continue;
        }
        return `error when evicting pods/"${name}" -n "${ns}": ${formatApiError(e).replace(/^Error from server \([^)]*\): /, '')}`;
      }
    }
    for (;;) {
      if (timedOut) return undefined;
      await sleep(1000);
      try {
        const cur = await client.get<Pod>(podPath(ns, name));
        if (cur.metadata.uid !== pod.metadata.uid) break;
      } catch (e) {
        if (e instanceof ApiError && isNotFound(e)) break;
        throw e;
      }
    }
    if (!timedOut) ctx.out(`pod/${name} ${useEviction ? 'evicted' : 'deleted'}\n`);
    return undefined;
  };
  const all = Promise.all(pods.map(one)).then((errs) => {
    const es = errs.filter((e): e is string => e !== undefined);
    return es.length === 0 ? undefined : es.length === 1 ? es[0] : `[${es.join(', ')}]`;
  });
  if (deadline === Infinity) return all;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((r) => {
    timer = setTimeout(() => { timedOut = true; r(`drain did not complete within ${o.timeoutText}`); }, o.timeoutMs);
  });
  try {
    return await Promise.race([all, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
