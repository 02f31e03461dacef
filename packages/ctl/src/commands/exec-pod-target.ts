/**
 * Which pod and container a pod command (logs, exec, attach, port-forward, cp) acts on:
 * `NAME`, `pod/NAME`, or `TYPE/NAME` of a workload or service whose selector picks a pod
 * (kubectl's polymorphichelpers: AttachablePodForObject / logsForObject).
 */
import { ApiError } from '../client';
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { cliError } from '../errors';

export interface Container { name: string; ports?: { containerPort?: number; name?: string; protocol?: string }[] }
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; annotations?: Record<string, string>; labels?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string; ownerReferences?: { kind?: string; name?: string; controller?: boolean }[] };
  spec: { nodeName?: string; containers: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[]; volumes?: { name: string; emptyDir?: unknown }[] };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
    containerStatuses?: { name?: string; restartCount?: number }[];
  };
}

type Obj = Record<string, unknown> & { metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };

const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

export function podPath(ns: string, name: string, sub?: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}${sub ? `/${sub}` : ''}`;
}

/** `TYPE/NAME` or `NAME` (a pod). */
export function splitTarget(arg: string): { type: string; name: string } {
  const i = arg.indexOf('/');
  if (i < 0) return { type: 'pods', name: arg };
  return { type: arg.slice(0, i), name: arg.slice(i + 1) };
}

/** `containers` + ephemeral `(ephem)` + init `(init)`, as podcmd.AllContainerNames. */
export function allContainerNames(pod: Pod): string {
  return [
    ...pod.spec.containers.map((c) => c.name),
    ...(pod.spec.ephemeralContainers ?? []).map((c) => `${c.name} (ephem)`),
    ...(pod.spec.initContainers ?? []).map((c) => `${c.name} (init)`),
  ].join(', ');
}

export function findContainer(pod: Pod, name: string): Container | undefined {
  return [...pod.spec.containers, ...(pod.spec.initContainers ?? []), ...(pod.spec.ephemeralContainers ?? [])].find((c) => c.name === name);
}

/** podcmd.FindOrDefaultContainerByName: the annotation's container, else the first one (with a note on stderr). */
export function defaultContainer(ctx: Ctx, pod: Pod, quiet: boolean): string {
  const annotated = pod.metadata.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated) {
    if (findContainer(pod, annotated)) return annotated;
    if (!quiet) ctx.err(`Default container name "${annotated}" not found in pod ${pod.metadata.name}\n`);
  }
  const first = pod.spec.containers[0]?.name ?? '';
  const count = pod.spec.containers.length + (pod.spec.initContainers?.length ?? 0) + (pod.spec.ephemeralContainers?.length ?? 0);
  if (count > 1 && !quiet) ctx.err(`Defaulted container "${first}" out of: ${allContainerNames(pod)}\n`);
  return first;
}

/** A workload's selector as a label selector string (matchLabels, matchExpressions; or a plain map). */
export function selectorOf(obj: Obj): string | undefined {
  const sel = obj.spec?.selector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | Record<string, string> | undefined;
  if (!sel) return undefined;
  const isLabelSelector = 'matchLabels' in sel || 'matchExpressions' in sel;
  const labels = (isLabelSelector ? (sel as { matchLabels?: Record<string, string> }).matchLabels : sel as Record<string, string>) ?? {};
  const parts = Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`);
  for (const e of (isLabelSelector ? (sel as { matchExpressions?: { key: string; operator: string; values?: string[] }[] }).matchExpressions : undefined) ?? []) {
    const vals = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function ready(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function maxRestarts(p: Pod): number {
  return Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** podutils.ByLogging (and, near enough, reversed ActivePods): the pod most worth looking at first. */
export function podLess(a: Pod, b: Pod): boolean {
  const an = a.spec.nodeName ?? '';
  const bn = b.spec.nodeName ?? '';
  if (an !== bn && (an === '' || bn === '')) return an !== '';
  const ap = a.status?.phase ?? '';
  const bp = b.status?.phase ?? '';
  if (ap !== bp) return (PHASE_ORDER[ap] ?? -1) > (PHASE_ORDER[bp] ?? -1);
  if (ready(a) !== ready(b)) return ready(a);
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b);
  const at = a.metadata.creationTimestamp ?? '';
  const bt = b.metadata.creationTimestamp ?? '';
  if (at !== bt) return at !== '' && (bt === '' || at < bt);
  return false;
}

export function sortPods(pods: Pod[]): Pod[] {
  // stable insertion order, as Go's sort for short slices
  return [...pods].sort((x, y) => (podLess(x, y) ? -1 : podLess(y, x) ? 1 : 0));
}

export async function listPods(ctx: Ctx, ns: string | undefined, labelSelector: string | undefined): Promise<Pod[]> {
  const path = ns === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`;
  const list = await ctx.client().get<{ items?: Pod[] }>(path, { query: { labelSelector } });
  return list.items ?? [];
}

export interface Resolved {
  pod: Pod;
  /** The object named on the command line (the pod itself, or the workload/service). */
  object: Obj;
  resource: ApiResource;
  /** Pods the selector matched (1 for a pod). */
  count: number;
}

/** Resolves `NAME` / `TYPE/NAME` to one pod; errors as kubectl prints them (`... not found`). */
export async function podForObject(ctx: Ctx, arg: string, ns: string, opts: { waitMs?: number } = {}): Promise<Resolved> {
  const { type, name } = splitTarget(arg);
  if (!name) throw cliError('arguments in resource/name form must have a single resource and name');
  const r = await ctx.discovery().resolve(type);
  const client = ctx.client();
  const obj = await client.get<Obj>(resourcePath(r, r.namespaced ? ns : undefined, name));
  if (r.group === '' && r.resource === 'pods') return { pod: obj as unknown as Pod, object: obj, resource: r, count: 1 };
  const sel = selectorOf(obj);
  if (sel === undefined) throw cliError(`cannot attach to ${r.kind.toLowerCase()}: selector for ${r.kind.toLowerCase()}/${name} not implemented`);
  const deadline = Date.now() + (opts.waitMs ?? 20_000);
  for (;;) {
    const pods = sortPods(await listPods(ctx, ns, sel));
    const first = pods[0];
    if (first) return { pod: first, object: obj, resource: r, count: pods.length };
    if (Date.now() >= deadline) throw cliError('timed out waiting for the condition');
    await new Promise((res) => setTimeout(res, 1000));
  }
}

/** Fetches a pod by name; NotFound stays an ApiError. */
export async function getPod(ctx: Ctx, ns: string, name: string): Promise<Pod> {
  return ctx.client().get<Pod>(podPath(ns, name));
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
