import express, { type NextFunction, type Request, type Response } from 'express';
import { findByKind, StatusError, type KObject, type ResourceInfo } from '@skiff/api';
import type { ExtraGroup, Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { NodeStats, PodStats } from '@skiff/rpc';
import type { AgentTunnels } from '../streams/agent-tunnels';
import { NodeStatsCache } from './node-stats-cache';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

const resource = (kind: string, plural: string, namespaced: boolean): ResourceInfo => ({
  group: METRICS_GROUP, version: METRICS_VERSION, kind, plural, singular: '', namespaced,
  shortNames: [], categories: [], verbs: ['get', 'list'], subresources: [],
});

export const METRICS_RESOURCES: ResourceInfo[] = [resource('NodeMetrics', 'nodes', false), resource('PodMetrics', 'pods', true)];

/** CPU as a Kubernetes quantity in nanocores (`1234567n`). */
export function cpuQuantity(nanoCores: number | string): string {
  return `${Math.max(0, Math.round(Number(nanoCores) || 0))}n`;
}

/** Memory as a Kubernetes quantity in KiB (`10240Ki`), as metrics-server reports it. */
export function memoryQuantity(bytes: number | string): string {
  return `${Math.max(0, Math.round((Number(bytes) || 0) / 1024))}Ki`;
}

/** metav1.Duration text (`15s`, `1.05s`). */
export function windowText(seconds: number): string {
  return `${Math.round(seconds * 1000) / 1000}s`;
}

export function nodeMetrics(node: KObject, s: NodeStats): KObject {
  return {
    metadata: { name: node.metadata.name, creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
    timestamp: s.timestamp.replace(/\.\d{3}Z$/, 'Z'),
    window: windowText(s.window_seconds),
    usage: { cpu: cpuQuantity(s.cpu_usage_nano_cores), memory: memoryQuantity(s.memory_working_set_bytes) },
  };
}

export function podMetrics(pod: KObject, s: PodStats): KObject {
  return {
    metadata: {
      name: pod.metadata.name, namespace: pod.metadata.namespace, creationTimestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: s.timestamp.replace(/\.\d{3}Z$/, 'Z'),
    window: windowText(s.window_seconds),
    containers: s.containers.map((c) => ({ name: c.name, usage: { cpu: cpuQuantity(c.cpu_usage_nano_cores), memory: memoryQuantity(c.memory_working_set_bytes) } })),
  };
}

function selectors(req: Request): { labelSelector?: string; fieldSelector?: string } {
  const out: { labelSelector?: string; fieldSelector?: string } = {};
  if (typeof req.query.labelSelector === 'string' && req.query.labelSelector) out.labelSelector = req.query.labelSelector;
  if (typeof req.query.fieldSelector === 'string' && req.query.fieldSelector) out.fieldSelector = req.query.fieldSelector;
  return out;
}

/**
 * metrics.k8s.io/v1beta1 (what `kubectl top` reads): NodeMetrics and
 * PodMetrics lists and gets, built from the stats the nodes' agents report
 * through their stream tunnels. Objects are selected from the registry
 * (labelSelector, fieldSelector), so only existing nodes and pods appear.
 */
export function metricsApi(opts: { registry: Registry; tunnels: AgentTunnels; log: Logger }): { group: ExtraGroup; router: express.Router } {
  const stats = new NodeStatsCache(opts.tunnels, opts.log.child({ component: 'metrics' }));
  const nodeInfo = findByKind('v1', 'Node')!;
  const podInfo = findByKind('v1', 'Pod')!;
  const router = express.Router();
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).catch(next);
  };

  const listNodes = async (nodes: KObject[]): Promise<KObject[]> => {
    const byNode = await stats.getMany(nodes.map((n) => n.metadata.name ?? ''));
    return nodes.flatMap((n) => {
      const s = byNode.get(n.metadata.name ?? '');
      return s ? [nodeMetrics(n, s)] : [];
    });
  };
  const listPods = async (pods: KObject[]): Promise<KObject[]> => {
    const nodeOf = (p: KObject): string => (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    const byNode = await stats.getMany(pods.map(nodeOf).filter(Boolean));
    return pods.flatMap((p) => {
      const s = byNode.get(nodeOf(p))?.pods.find((x) => x.uid === p.metadata.uid);
      return s ? [podMetrics(p, s)] : [];
    });
  };
  const list = (res: Response, kind: string, items: KObject[]): void => {
    res.json({ kind, apiVersion: API_VERSION, metadata: {}, items });
  };

  router.get('/nodes', wrap(async (req, res) => {
    list(res, 'NodeMetricsList', await listNodes((await opts.registry.list(nodeInfo, undefined, selectors(req))).items));
  }));
  router.get('/nodes/:name', wrap(async (req, res) => {
    const name = String(req.params.name);
    const node = await opts.registry.tryGet(nodeInfo, undefined, name);
    const [m] = node ? await listNodes([node]) : [];
    if (!m) throw StatusError.notFound('nodemetrics', name, METRICS_GROUP);
    res.json({ kind: 'NodeMetrics', apiVersion: API_VERSION, ...m });
  }));
  router.get('/pods', wrap(async (req, res) => {
    list(res, 'PodMetricsList', await listPods((await opts.registry.list(podInfo, undefined, selectors(req))).items));
  }));
  router.get('/namespaces/:ns/pods', wrap(async (req, res) => {
    list(res, 'PodMetricsList', await listPods((await opts.registry.list(podInfo, String(req.params.ns), selectors(req))).items));
  }));
  router.get('/namespaces/:ns/pods/:name', wrap(async (req, res) => {
    const ns = String(req.params.ns);
    const name = String(req.params.name);
    const pod = await opts.registry.tryGet(podInfo, ns, name);
    const [m] = pod ? await listPods([pod]) : [];
    if (!m) throw StatusError.notFound('podmetrics', name, METRICS_GROUP);
    res.json({ kind: 'PodMetrics', apiVersion: API_VERSION, ...m });
  }));
  router.all(/.*/, (req, _res, next) => {
    next(req.method === 'GET'
      ? new StatusError(404, 'NotFound', 'the server could not find the requested resource')
      : StatusError.methodNotAllowed(`the server does not allow this method on the requested resource`));
  });

  return { group: { group: METRICS_GROUP, version: METRICS_VERSION, resources: METRICS_RESOURCES }, router };
}
