/** skiffctl top pod|node: resource usage from metrics.k8s.io, in kubectl's table format. */
import { ApiError } from '../client';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { tabwrite } from '../printers/tabwriter';

const METRICS = '/apis/metrics.k8s.io/v1beta1';

interface Usage { cpu?: string; memory?: string }
interface PodMetrics { metadata: { name: string; namespace?: string }; containers?: { name: string; usage?: Usage }[] }
interface NodeMetrics { metadata: { name: string }; usage?: Usage }
interface Node { metadata: { name: string }; status?: { allocatable?: Record<string, string> } }

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** A resource.Quantity as a number of base units (cores, bytes). */
export function parseQuantity(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([+-]?\d*\.?\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/.exec(q.trim());
  if (!m) return 0;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

/** Quantity.MilliValue (rounded up, as ScaledValue does). */
export function milli(v: number): number {
  return Math.ceil(v * 1000 - 1e-6);
}

function cpuText(cores: number): string {
  return `${milli(cores)}m`;
}

function memText(bytes: number): string {
  return `${Math.floor(Math.ceil(bytes - 1e-6) / (1024 * 1024))}Mi`;
}

function metricsUnavailable(e: unknown): never {
  if (e instanceof ApiError && e.code === 404 && !/metrics\.k8s\.io "/.test(e.message)) throw cliError('Metrics API not available');
  throw e;
}

export async function top(ctx: Ctx, args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'pod' || what === 'pods' || what === 'po') return topPods(ctx, rest);
  if (what === 'node' || what === 'nodes' || what === 'no') return topNodes(ctx, rest);
  throw new CliError("error: You must specify a resource type: pod or node.\nSee 'kubectl top -h' for help and examples");
}

function sortBy(ctx: Ctx): string | undefined {
  const s = ctx.flags.str('sort-by');
  if (s !== undefined && s !== 'cpu' && s !== 'memory') throw cliError('--sort-by accepts only cpu or memory');
  return s;
}

async function topPods(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  const allNs = f.bool('all-namespaces');
  const ns = ctx.namespace;
  const selector = f.str('selector');
  const by = sortBy(ctx);
  if (args.length > 1) throw cliError('only one pod name may be given');
  const client = ctx.client();
  let items: PodMetrics[];
  try {
    if (args[0]) {
      items = [await client.get<PodMetrics>(`${METRICS}/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(args[0])}`)];
    } else {
      const path = allNs ? `${METRICS}/pods` : `${METRICS}/namespaces/${encodeURIComponent(ns)}/pods`;
      items = (await client.get<{ items?: PodMetrics[] }>(path, { query: { labelSelector: selector, fieldSelector: f.str('field-selector') } })).items ?? [];
    }
  } catch (e) {
    metricsUnavailable(e);
  }
  if (items.length === 0) {
    const pods = await client.get<{ items?: unknown[] }>(allNs ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { query: { labelSelector: selector } });
    if ((pods.items ?? []).length > 0) throw cliError('metrics not available yet');
    ctx.err(allNs ? 'No resources found\n' : `No resources found in ${ns} namespace.\n`);
    return 0;
  }
  const rows = items.map((m) => {
    let cpu = 0;
    let mem = 0;
    for (const c of m.containers ?? []) {
      cpu += parseQuantity(c.usage?.cpu);
      mem += parseQuantity(c.usage?.memory);
    }
    return { m, cpu, mem };
  });
  rows.sort((a, b) => {
    if (by === 'cpu') return milli(b.cpu) - milli(a.cpu);
    if (by === 'memory') return b.mem - a.mem;
    if (allNs && a.m.metadata.namespace !== b.m.metadata.namespace) return (a.m.metadata.namespace ?? '') < (b.m.metadata.namespace ?? '') ? -1 : 1;
    return a.m.metadata.name < b.m.metadata.name ? -1 : a.m.metadata.name > b.m.metadata.name ? 1 : 0;
  });
  const lines: string[] = [];
  if (f.str('containers') === 'true') {
    // kubectl's printSinglePodContainerMetrics: one row per container, containers sorted within each pod
    if (!f.bool('no-headers')) lines.push(`${allNs ? 'NAMESPACE\t' : ''}POD\tNAME\tCPU(cores)\tMEMORY(bytes)\t`);
    for (const r of rows) {
      const cs = (r.m.containers ?? []).map((c) => ({ name: c.name, cpu: parseQuantity(c.usage?.cpu), mem: parseQuantity(c.usage?.memory) }));
      cs.sort((a, b) => (by === 'cpu' ? milli(b.cpu) - milli(a.cpu) : by === 'memory' ? b.mem - a.mem : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const c of cs) lines.push(`${allNs ? `${r.m.metadata.namespace ?? ''}\t` : ''}${r.m.metadata.name}\t${c.name}\t${cpuText(c.cpu)}\t${memText(c.mem)}\t`);
    }
    ctx.out(tabwrite(lines.join('\n') + '\n'));
    return 0;
  }
  if (!f.bool('no-headers')) lines.push(`${allNs ? 'NAMESPACE\t' : ''}NAME\tCPU(cores)\tMEMORY(bytes)\t`);
  for (const r of rows) lines.push(`${allNs ? `${r.m.metadata.namespace ?? ''}\t` : ''}${r.m.metadata.name}\t${cpuText(r.cpu)}\t${memText(r.mem)}\t`);
  ctx.out(tabwrite(lines.join('\n') + '\n'));
  return 0;
}

async function topNodes(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  const by = sortBy(ctx);
  const client = ctx.client();
  const selector = f.str('selector');
  let metrics: NodeMetrics[];
  let nodes: Node[];
  try {
    if (args[0]) {
      metrics = [await client.get<NodeMetrics>(`${METRICS}/nodes/${encodeURIComponent(args[0])}`)];
    } else {
      metrics = (await client.get<{ items?: NodeMetrics[] }>(`${METRICS}/nodes`, { query: { labelSelector: selector } })).items ?? [];
    }
  } catch (e) {
    metricsUnavailable(e);
  }
  if (args[0]) nodes = [await client.get<Node>(`/api/v1/nodes/${encodeURIComponent(args[0])}`)];
  else nodes = (await client.get<{ items?: Node[] }>('/api/v1/nodes', { query: { labelSelector: selector } })).items ?? [];
  if (metrics.length === 0) {
    if (nodes.length > 0) throw cliError('metrics not available yet');
    ctx.err('No resources found\n');
    return 0;
  }
  const alloc = new Map(nodes.map((n) => [n.metadata.name, n.status?.allocatable ?? {}]));
  const rows = metrics.filter((m) => alloc.has(m.metadata.name)).map((m) => ({ m, cpu: parseQuantity(m.usage?.cpu), mem: parseQuantity(m.usage?.memory) }));
  rows.sort((a, b) => {
    if (by === 'cpu') return milli(b.cpu) - milli(a.cpu);
    if (by === 'memory') return b.mem - a.mem;
    return a.m.metadata.name < b.m.metadata.name ? -1 : a.m.metadata.name > b.m.metadata.name ? 1 : 0;
  });
  const pct = (used: number, total: number): string => (total > 0 ? `${Math.trunc((used / total) * 100)}%` : '<unknown>');
  const lines: string[] = [];
  if (!f.bool('no-headers')) lines.push('NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)\t');
  for (const r of rows) {
    const a = alloc.get(r.m.metadata.name) ?? {};
    const cpuAlloc = milli(parseQuantity(a.cpu));
    const memAlloc = Math.ceil(parseQuantity(a.memory));
    lines.push(`${r.m.metadata.name}\t${cpuText(r.cpu)}\t${pct(milli(r.cpu), cpuAlloc)}\t${memText(r.mem)}\t${pct(Math.ceil(r.mem), memAlloc)}\t`);
  }
  const seen = new Set(rows.map((r) => r.m.metadata.name));
  for (const n of [...nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    if (!seen.has(n.metadata.name) && !args[0]) lines.push(`${n.metadata.name}\t<unknown>\t<unknown>\t<unknown>\t<unknown>\t`);
  }
  ctx.out(tabwrite(lines.join('\n') + '\n'));
  return 0;
}
