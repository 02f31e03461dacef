import { findByKind, KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';

interface Closable { close(): void | Promise<void> }

/** Kinds every node gets in full; the hub keeps their current objects. */
export type ClusterWideKind = 'service' | 'endpoints' | 'endpointslice';
/** Kinds a node gets only when its pods reference them; the hub only relays their changes. */
export type ReferencedKind = 'configmap' | 'secret' | 'pvc' | 'pv';

export interface SharedWatchListener {
  /** A pod bound to the listener's node: ADDED when it arrives (or moves in), DELETED when it goes (or moves away). */
  pod(ev: WatchEvent): void;
  clusterWide(kind: ClusterWideKind, ev: WatchEvent): void;
  referenced(kind: ReferencedKind, ev: WatchEvent): void;
  /** The shared watches broke (e.g. 410 after compaction); the listener is dropped. */
  error(e: Error): void;
}

const CLUSTER_WIDE: [ClusterWideKind, ResourceInfo][] = [
  ['service', findByKind('v1', 'Service')!],
  ['endpoints', findByKind('v1', 'Endpoints')!],
  ['endpointslice', findByKind('discovery.k8s.io/v1', 'EndpointSlice')!],
];
const REFERENCED: [ReferencedKind, ResourceInfo][] = [
  ['configmap', findByKind('v1', 'ConfigMap')!],
  ['secret', findByKind('v1', 'Secret')!],
  ['pvc', findByKind('v1', 'PersistentVolumeClaim')!],
  ['pv', findByKind('v1', 'PersistentVolume')!],
];
const POD = findByKind('v1', 'Pod')!;

const objKey = (o: KObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const nodeOf = (o: KObject): string => (o.spec as { nodeName?: string } | undefined)?.nodeName ?? '';

/**
 * The registry watches every assignment stream needs, opened ONCE per master
 * (not once per node): each event is read from etcd and decoded once, then
 * dispatched — pods by spec.nodeName to the streams of that node, Services,
 * Endpoints and EndpointSlices to every stream, referenced kinds to every stream
 * (each stream filters by what its pods reference). The hub keeps the pods of
 * every node and the cluster-wide objects, so a stream that subscribes mid-way
 * gets its node's full state (synchronously, in the same tick) and then the
 * changes. Any watch error (410 Gone after compaction included) ends every
 * subscriber — the agents reconnect and get a fresh full state from a new hub.
 * The hub closes its watches when its last subscriber leaves.
 */
export class SharedWatchHub {
  private readonly watches: Closable[] = [];
  private readonly listeners = new Set<{ node: string; l: SharedWatchListener }>();
  private readonly byNode = new Map<string, Set<{ node: string; l: SharedWatchListener }>>();
  /** Pod key -> node it is bound to ('' when unbound). */
  private readonly podNode = new Map<string, string>();
  /** Node -> pod key -> pod. */
  private readonly nodePods = new Map<string, Map<string, KObject>>();
  private readonly clusterObjects = new Map<ClusterWideKind, Map<string, KObject>>(CLUSTER_WIDE.map(([k]) => [k, new Map()]));
  private ready: Promise<void> | undefined;
  private closed = false;
  private refs = 0;

  constructor(private readonly registry: Registry, private readonly onClosed: () => void) {}

  /** Registers a user of the hub; pair with release(). */
  acquire(): void { this.refs++; }

  release(): void {
    if (--this.refs <= 0) this.close();
  }

  /** Opens the shared watches (once). */
  start(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    const onError = (e: Error): void => this.fail(e);
    try {
      const rev = String(await this.registry.storage.currentRevision());
      for (const [kind, info] of REFERENCED) {
        this.watches.push(await this.registry.watch(info, undefined, { resourceVersion: rev }, (ev) => this.onReferenced(kind, ev), onError));
        if (this.closed) break;
      }
      // Without a resourceVersion a watch delivers the current objects as ADDED before it returns.
      for (const [kind, info] of CLUSTER_WIDE) {
        if (this.closed) break;
        this.watches.push(await this.registry.watch(info, undefined, {}, (ev) => this.onClusterWide(kind, ev), onError));
      }
      if (!this.closed) this.watches.push(await this.registry.watch(POD, undefined, {}, (ev) => this.onPod(ev), onError));
    } catch (e) {
      this.fail(e as Error);
      throw e;
    }
    if (this.closed) {
      for (const w of this.watches.splice(0)) void w.close();
      throw new Error('assignment watches closed');
    }
  }

  /**
   * Adds a listener for `node` after start(): it synchronously receives the current
   * cluster-wide objects and the node's pods as ADDED, then every later change.
   */
  subscribe(node: string, l: SharedWatchListener): () => void {
    if (this.closed) throw new Error('assignment watches closed');
    const entry = { node, l };
    for (const [kind, objs] of this.clusterObjects) for (const o of objs.values()) l.clusterWide(kind, { type: 'ADDED', object: o });
    for (const p of this.nodePods.get(node)?.values() ?? []) l.pod({ type: 'ADDED', object: p });
    this.listeners.add(entry);
    let set = this.byNode.get(node);
    if (!set) this.byNode.set(node, set = new Set());
    set.add(entry);
    return () => {
      this.listeners.delete(entry);
      set.delete(entry);
      if (set.size === 0 && this.byNode.get(node) === set) this.byNode.delete(node);
    };
  }

  private onReferenced(kind: ReferencedKind, ev: WatchEvent): void {
    for (const { l } of this.listeners) l.referenced(kind, ev);
  }

  private onClusterWide(kind: ClusterWideKind, ev: WatchEvent): void {
    const objs = this.clusterObjects.get(kind)!;
    if (ev.type === 'DELETED') objs.delete(objKey(ev.object));
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') objs.set(objKey(ev.object), ev.object);
    else return;
    for (const { l } of this.listeners) l.clusterWide(kind, ev);
  }

  private onPod(ev: WatchEvent): void {
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
    const pod = ev.object;
    const key = objKey(pod);
    const prevNode = this.podNode.get(key) ?? '';
    const curNode = ev.type === 'DELETED' ? '' : nodeOf(pod);
    if (prevNode && prevNode !== curNode) {
      const pods = this.nodePods.get(prevNode);
      pods?.delete(key);
      if (pods?.size === 0) this.nodePods.delete(prevNode);
      this.dispatchPod(prevNode, { type: 'DELETED', object: pod });
    }
    if (ev.type === 'DELETED') {
      this.podNode.delete(key);
      return;
    }
    this.podNode.set(key, curNode);
    if (!curNode) return;
    let pods = this.nodePods.get(curNode);
    if (!pods) this.nodePods.set(curNode, pods = new Map());
    pods.set(key, pod);
    this.dispatchPod(curNode, { type: prevNode === curNode ? 'MODIFIED' : 'ADDED', object: pod });
  }

  private dispatchPod(node: string, ev: WatchEvent): void {
    for (const { l } of this.byNode.get(node) ?? []) l.pod(ev);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    const ls = [...this.listeners];
    this.close();
    for (const { l } of ls) l.error(e);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches.splice(0)) void w.close();
    this.listeners.clear();
    this.byNode.clear();
    this.onClosed();
  }
}

const hubs = new WeakMap<Registry, SharedWatchHub>();

/** The live hub of a registry (a new one after the previous one closed); acquired for the caller. */
export function acquireSharedWatches(registry: Registry): SharedWatchHub {
  let hub = hubs.get(registry);
  if (!hub) {
    const created: SharedWatchHub = new SharedWatchHub(registry, () => { if (hubs.get(registry) === created) hubs.delete(registry); });
    hubs.set(registry, created);
    hub = created;
  }
  hub.acquire();
  return hub;
}
