import type { Node, Pod } from 'kubernetes-types/core/v1';
import { addPod, newNodeInfo, NodeInfo, Snapshot } from './snapshot';

interface NodeEntry {
  node?: Node;
  pods: Map<string, Pod>;
  info?: NodeInfo;
}

const isTerminal = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/**
 * The scheduler's cluster state kept up to date from pod and node changes (Kubernetes'
 * scheduler cache), so a decision does not rebuild the whole cluster: `snapshot()` rebuilds
 * only the NodeInfos whose node or pods changed since the last call and reuses the others.
 * Snapshots handed out are never mutated afterwards (changed nodes get new NodeInfos).
 */
export class SnapshotCache {
  private readonly entries = new Map<string, NodeEntry>();
  /** Pod key -> the node it is counted on. */
  private readonly podNode = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private current?: Snapshot;

  private entry(name: string): NodeEntry {
    let e = this.entries.get(name);
    if (!e) this.entries.set(name, (e = { pods: new Map() }));
    return e;
  }

  private touch(name: string): void {
    this.dirty.add(name);
    this.current = undefined;
  }

  setNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    this.entry(name).node = node;
    this.touch(name);
  }

  removeNode(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    delete e.node;
    e.info = undefined;
    if (e.pods.size === 0) this.entries.delete(name);
    this.touch(name);
  }

  /** Counts a pod on its node (`spec.nodeName`), or stops counting it (unbound, terminal, or undefined). */
  setPod(key: string, pod: Pod | undefined): void {
    const prev = this.podNode.get(key);
    const next = pod && !isTerminal(pod) ? pod.spec?.nodeName || undefined : undefined;
    if (prev !== undefined && prev !== next) {
      const e = this.entries.get(prev);
      e?.pods.delete(key);
      if (e && !e.node && e.pods.size === 0) this.entries.delete(prev);
      this.podNode.delete(key);
      this.touch(prev);
    }
    if (next === undefined || !pod) return;
    this.entry(next).pods.set(key, pod);
    this.podNode.set(key, next);
    this.touch(next);
  }

  /** The node a pod is counted on, if any. */
  nodeOf(key: string): string | undefined {
    return this.podNode.get(key);
  }

  snapshot(): Snapshot {
    if (this.current) return this.current;
    for (const name of this.dirty) {
      const e = this.entries.get(name);
      if (!e?.node) continue;
      const info = newNodeInfo(e.node);
      for (const p of e.pods.values()) addPod(info, p);
      e.info = info;
    }
    this.dirty.clear();
    const nodes: NodeInfo[] = [];
    for (const e of this.entries.values()) if (e.node && e.info) nodes.push(e.info);
    nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.current = { nodes };
    return this.current;
  }
}
