import type { Pod } from 'kubernetes-types/core/v1';
import { DEFAULT_FILTERS, Filter, REASON_ANTI_AFFINITY, REASON_EXISTING_ANTI_AFFINITY, REASON_PORTS, REASON_TOO_MANY_PODS } from './filters';
import { addPod, newNodeInfo, NodeInfo, Snapshot } from './snapshot';
import { CycleState } from './cycle-state';

/** A pod's priority as admission resolved it (0 when unset). */
export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** A PodDisruptionBudget as preemption sees it: which pods it covers and how many may go. */
export interface DisruptionBudget {
  namespace: string;
  matches(labels: Record<string, string>): boolean;
  disruptionsAllowed: number;
}

/** Where preemption would place the pod and whom it evicts. */
export interface PreemptionCandidate {
  node: string;
  victims: Pod[];
  /** Victims whose eviction breaks a PodDisruptionBudget (preferred 0, but allowed). */
  pdbViolations: number;
}

export interface PreemptionOptions {
  filters?: readonly Filter[];
  pdbs?: readonly DisruptionBudget[];
  /** The node the pod was nominated to earlier (if the pod's status does not show it yet). */
  nominatedNode?: string;
}

/** Whether removing pods can fix every reason (otherwise Kubernetes' UnschedulableAndUnresolvable). */
function resolvable(reasons: readonly string[]): boolean {
  return reasons.every((r) => r.startsWith('Insufficient ') || r === REASON_TOO_MANY_PODS || r === REASON_PORTS
    || r === REASON_ANTI_AFFINITY || r === REASON_EXISTING_ANTI_AFFINITY);
}

const isTerminating = (p: Pod): boolean => !!p.metadata?.deletionTimestamp;

/**
 * Whether the pod may preempt now (Kubernetes' PodEligibleToPreemptOthers): never with
 * `preemptionPolicy: Never`, and not while lower-priority pods it already displaced on its
 * nominated node are still terminating (it waits for them instead of evicting more).
 */
export function preemptionAllowed(pod: Pod, snapshot: Snapshot, opts: { nominatedNode?: string } = {}): boolean {
  if (pod.spec?.preemptionPolicy === 'Never') return false;
  const nominated = opts.nominatedNode ?? pod.status?.nominatedNodeName;
  if (!nominated) return true;
  const info = snapshot.nodes.find((n) => n.name === nominated);
  if (!info) return true;
  const prio = podPriority(pod);
  return !info.pods.some((p) => isTerminating(p) && podPriority(p) < prio);
}

function rebuild(n: NodeInfo, pods: readonly Pod[]): NodeInfo {
  const info = newNodeInfo(n.node);
  for (const p of pods) addPod(info, p);
  return info;
}

function failures(pod: Pod, info: NodeInfo, snapshot: Snapshot, filters: readonly Filter[]): string[] {
  const trial: Snapshot = { ...snapshot, nodes: snapshot.nodes.map((x) => (x.name === info.name ? info : x)) };
  const state = new CycleState(pod, trial);
  for (const f of filters) {
    const r = f.filter(pod, info, trial, state);
    if (r.length) return r;
  }
  return [];
}

/** Splits pods (most important first) into those whose eviction would break a budget and the rest. */
function splitByBudget(pods: readonly Pod[], pdbs: readonly DisruptionBudget[]): { violating: Pod[]; ok: Pod[] } {
  const allowed = pdbs.map((b) => b.disruptionsAllowed);
  const violating: Pod[] = [];
  const ok: Pod[] = [];
  for (const p of pods) {
    let violates = false;
    pdbs.forEach((b, i) => {
      if (b.namespace !== (p.metadata?.namespace ?? '') || !b.matches(p.metadata?.labels ?? {})) return;
      if (allowed[i]! <= 0) violates = true;
      else allowed[i]! -= 1;
    });
    (violates ? violating : ok).push(p);
  }
  return { violating, ok };
}

/**
 * The fewest evictions on one node that let the pod fit there: every lower-priority pod is
 * removed, then each is given back (most important first, budget-protected ones before the
 * rest) when the pod still fits with it. Undefined when removing pods cannot help.
 */
export function victimsOnNode(pod: Pod, node: NodeInfo, snapshot: Snapshot, opts: PreemptionOptions = {}): PreemptionCandidate | undefined {
  const filters = opts.filters ?? DEFAULT_FILTERS;
  const prio = podPriority(pod);
  const lower = node.pods.filter((p) => podPriority(p) < prio && !isTerminating(p));
  const kept = node.pods.filter((p) => podPriority(p) >= prio && !isTerminating(p));
  if (lower.length === 0) return undefined;
  if (failures(pod, rebuild(node, kept), snapshot, filters).length) return undefined;
  lower.sort((a, b) => podPriority(b) - podPriority(a));
  const { violating, ok } = splitByBudget(lower, opts.pdbs ?? []);
  const victims: Pod[] = [];
  let pdbViolations = 0;
  const reprieve = (p: Pod, violates: boolean): void => {
    if (failures(pod, rebuild(node, [...kept, p]), snapshot, filters).length === 0) {
      kept.push(p);
      return;
    }
    victims.push(p);
    if (violates) pdbViolations++;
  };
  for (const p of violating) reprieve(p, true);
  for (const p of ok) reprieve(p, false);
  return { node: node.name, victims, pdbViolations };
}

function sumPriorities(victims: readonly Pod[]): number {
  // Shifted so that negative priorities still add up to a larger cost per victim.
  return victims.reduce((s, p) => s + podPriority(p) + 2 ** 31 + 1, 0);
}

/**
 * Kubernetes' candidate order: fewest budget violations, then the lowest highest-priority
 * victim, then the smallest sum of victim priorities, then the fewest victims, then the
 * first node by name.
 */
export function compareCandidates(a: PreemptionCandidate, b: PreemptionCandidate): number {
  if (a.pdbViolations !== b.pdbViolations) return a.pdbViolations - b.pdbViolations;
  const topA = Math.max(...a.victims.map(podPriority));
  const topB = Math.max(...b.victims.map(podPriority));
  if (topA !== topB) return topA - topB;
  const sumA = sumPriorities(a.victims);
  const sumB = sumPriorities(b.victims);
  if (sumA !== sumB) return sumA - sumB;
  if (a.victims.length !== b.victims.length) return a.victims.length - b.victims.length;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/**
 * Preemption for a pod that fits nowhere (Kubernetes' DefaultPreemption PostFilter): the node
 * and the lower-priority pods to evict there, or undefined when the pod may not preempt or
 * no eviction would make it fit. Pure: the caller deletes the victims and nominates the node.
 */
export function selectVictims(pod: Pod, snapshot: Snapshot, opts: PreemptionOptions = {}): PreemptionCandidate | undefined {
  if (!preemptionAllowed(pod, snapshot, opts)) return undefined;
  const filters = opts.filters ?? DEFAULT_FILTERS;
  let best: PreemptionCandidate | undefined;
  for (const n of snapshot.nodes) {
    const now = failures(pod, n, snapshot, filters);
    if (now.length === 0 || !resolvable(now)) continue;
    const c = victimsOnNode(pod, n, snapshot, opts);
    if (!c || c.victims.length === 0) continue;
    if (!best || compareCandidates(c, best) < 0) best = c;
  }
  return best;
}
