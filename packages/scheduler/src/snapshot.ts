import type { Node, Pod } from 'kubernetes-types/core/v1';
import { podRequests, ResourceList, parseResourceList } from './resources';
import type { VolumeLookup } from './volume-binding';

export interface HostPort {
  hostIP: string;
  protocol: string;
  port: number;
}

/** One node and what is already placed on it. */
export interface NodeInfo {
  node: Node;
  name: string;
  labels: Record<string, string>;
  pods: Pod[];
  allocatable: ResourceList;
  /** Sum of the bound pods' requests (`pods` counts them). */
  requested: ResourceList;
  /** Requests with the scheduler's defaults for containers that request nothing (scoring). */
  nonZeroRequested: ResourceList;
  usedPorts: HostPort[];
  /** Pods with required anti-affinity terms (checked against every incoming pod). */
  podsWithRequiredAntiAffinity: Pod[];
  /** Non-terminating pods per controller uid (spreading). */
  ownerCounts: Map<string, number>;
}

/** A read-only view of the cluster for one scheduling decision. */
export interface Snapshot {
  nodes: NodeInfo[];
  /** Claims and volumes for the VolumeBinding filter (absent: that filter passes). */
  volumes?: VolumeLookup;
}

export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ hostIP: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function newNodeInfo(node: Node): NodeInfo {
  const allocatable = parseResourceList((node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
  return {
    node, name: node.metadata?.name ?? '', labels: { ...(node.metadata?.labels ?? {}) }, pods: [],
    allocatable, requested: { pods: 0 }, nonZeroRequested: { pods: 0 }, usedPorts: [],
    podsWithRequiredAntiAffinity: [], ownerCounts: new Map(),
  };
}

/** What addPod needs of a pod, computed once per pod object (snapshots are rebuilt often). */
const placementCache = new WeakMap<Pod, { requested: [string, number][]; nonZero: [string, number][]; ports: HostPort[] }>();

function placementOf(pod: Pod): { requested: [string, number][]; nonZero: [string, number][]; ports: HostPort[] } {
  let p = placementCache.get(pod);
  if (!p) {
    p = { requested: Object.entries(podRequests(pod)), nonZero: Object.entries(podRequests(pod, { nonZero: true })), ports: hostPortsOf(pod) };
    placementCache.set(pod, p);
  }
  return p;
}

/** Places a pod on a NodeInfo (the snapshot builder and the scheduler's assume step). */
export function addPod(info: NodeInfo, pod: Pod): void {
  info.pods.push(pod);
  const placement = placementOf(pod);
  for (const [k, v] of placement.requested) info.requested[k] = (info.requested[k] ?? 0) + v;
  for (const [k, v] of placement.nonZero) info.nonZeroRequested[k] = (info.nonZeroRequested[k] ?? 0) + v;
  info.requested.pods = (info.requested.pods ?? 0) + 1;
  info.nonZeroRequested.pods = (info.nonZeroRequested.pods ?? 0) + 1;
  if (placement.ports.length) info.usedPorts.push(...placement.ports);
  if (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) info.podsWithRequiredAntiAffinity.push(pod);
  const owner = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller)?.uid;
  if (owner && !pod.metadata?.deletionTimestamp) info.ownerCounts.set(owner, (info.ownerCounts.get(owner) ?? 0) + 1);
}

/** Nodes with the non-terminal pods bound to them. Pods naming unknown nodes are ignored. */
export function buildSnapshot(nodes: readonly Node[], pods: readonly Pod[]): Snapshot {
  const infos = nodes.map(newNodeInfo).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = new Map(infos.map((i) => [i.name, i]));
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (!n || isTerminal(p)) continue;
    const info = byName.get(n);
    if (info) addPod(info, p);
  }
  return { nodes: infos };
}

export { parseResourceList };
