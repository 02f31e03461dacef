import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo, Snapshot } from './snapshot';
import { hostPortsOf } from './snapshot';
import { CycleState, podTermMatches } from './cycle-state';
import { firstUntoleratedTaint, podMatchesNodeSelectorAndAffinity, toleratesTaint } from './node-affinity';
import { volumeBinding } from './volume-binding';

/** A filter returns why the pod cannot go on this node; an empty list means it fits. */
export interface Filter {
  name: string;
  /** `state` carries what is computed once per decision; filters build one when called alone. */
  filter(pod: Pod, node: NodeInfo, snapshot: Snapshot, state?: CycleState): string[];
}

export const REASON_NOT_READY = 'node(s) were not ready';
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

export const nodeReady: Filter = {
  name: 'NodeReady',
  filter(_pod, n) {
    const ready = (n.node.status?.conditions ?? []).find((c) => c.type === 'Ready');
    return ready?.status === 'True' ? [] : [REASON_NOT_READY];
  },
};

export const nodeUnschedulable: Filter = {
  name: 'NodeUnschedulable',
  filter(pod, n) {
    if (!n.node.spec?.unschedulable) return [];
    const t = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    return toleratesTaint(pod.spec?.tolerations ?? [], t) ? [] : [REASON_UNSCHEDULABLE];
  },
};

export const taintToleration: Filter = {
  name: 'TaintToleration',
  filter(pod, n) {
    const t = firstUntoleratedTaint(pod, n.node, ['NoSchedule', 'NoExecute']);
    return t ? [`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`] : [];
  },
};

export const nodeAffinity: Filter = {
  name: 'NodeAffinity',
  filter(pod, n) {
    return podMatchesNodeSelectorAndAffinity(pod, n.node) ? [] : [REASON_NODE_AFFINITY];
  },
};

function portsConflict(a: { hostIP: string; protocol: string; port: number }, b: { hostIP: string; protocol: string; port: number }): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === b.hostIP || a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0';
}

export const nodePorts: Filter = {
  name: 'NodePorts',
  filter(pod, n) {
    const wanted = hostPortsOf(pod);
    return wanted.some((w) => n.usedPorts.some((u) => portsConflict(w, u))) ? [REASON_PORTS] : [];
  },
};

export const nodeResourcesFit: Filter = {
  name: 'NodeResourcesFit',
  filter(pod, n, snapshot, state) {
    const reasons: string[] = [];
    const allowedPods = n.allocatable.pods ?? 0;
    if ((n.requested.pods ?? 0) + 1 > allowedPods) reasons.push(REASON_TOO_MANY_PODS);
    const req = (state ?? new CycleState(pod, snapshot)).requests;
    for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
      const want = req[r] ?? 0;
      if (want > 0 && want > (n.allocatable[r] ?? 0) - (n.requested[r] ?? 0)) reasons.push(`Insufficient ${r}`);
    }
    for (const [r, want] of Object.entries(req)) {
      if (['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(r) || want <= 0) continue;
      if (want > (n.allocatable[r] ?? 0) - (n.requested[r] ?? 0)) reasons.push(`Insufficient ${r}`);
    }
    return reasons;
  },
};

/**
 * Required inter-pod affinity and anti-affinity (any topology key, e.g.
 * `kubernetes.io/hostname`), and the existing pods' anti-affinity against this pod.
 */
export const interPodAffinity: Filter = {
  name: 'InterPodAffinity',
  filter(pod, n, snapshot, state) {
    const a = (state ?? new CycleState(pod, snapshot)).affinity;
    if (a.forbiddenByExisting.contains(n.labels)) return [REASON_EXISTING_ANTI_AFFINITY];
    if (a.antiDomains.some((d) => d.contains(n.labels))) return [REASON_ANTI_AFFINITY];
    for (let i = 0; i < a.affinityTerms.length; i++) {
      const t = a.affinityTerms[i]!;
      if (a.affinityDomains[i]!.contains(n.labels)) continue;
      // The first pod of a group that is affine to itself may go anywhere.
      if (!a.affinityAnywhere[i] && podTermMatches(t, pod) && n.labels[t.topologyKey] !== undefined) continue;
      return [REASON_AFFINITY];
    }
    return [];
  },
};

/** In Kubernetes' order: the first failing filter gives a node's reasons. */
export const DEFAULT_FILTERS: readonly Filter[] = [nodeReady, nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, volumeBinding, interPodAffinity];
