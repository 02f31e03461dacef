/**
 * The StatefulSet decision as plain data (Kubernetes' stateful_set_control.go, one pass):
 * which ordinal to create, which pod to delete, or what the set is waiting for.
 * No I/O: the controller feeds it the pods it sees and carries the steps out.
 */

export type PodManagementPolicy = 'OrderedReady' | 'Parallel';
export type UpdateStrategyType = 'RollingUpdate' | 'OnDelete';

/** What the plan needs to know about one pod of the set. */
export interface SetPod {
  name: string;
  uid: string;
  /** Parsed from `<set>-<ordinal>`; -1 when the name does not parse. */
  ordinal: number;
  /** The pod's controller-revision-hash label value (the revision name's suffix). */
  revision?: string;
  phase: string;
  ready: boolean;
  terminating: boolean;
}

export interface PlanInput {
  setName: string;
  replicas: number;
  /** spec.ordinals.start (default 0). */
  start?: number;
  policy: PodManagementPolicy;
  strategy: UpdateStrategyType;
  /** RollingUpdate partition: ordinals below it keep the current revision. */
  partition?: number;
  currentRevision: string;
  updateRevision: string;
  pods: readonly SetPod[];
}

export type PlanStep =
  | { action: 'create'; ordinal: number; name: string; revision: string }
  | { action: 'delete'; name: string; uid: string; reason: 'failed' | 'condemned' | 'update' };

export interface Plan {
  steps: PlanStep[];
  /** Why the set stops here for now (e.g. `web-1 to be Running and Ready`); absent when nothing blocks. */
  waitingFor?: string;
}

export function podName(setName: string, ordinal: number): string {
  return `${setName}-${ordinal}`;
}

/** The ordinal in `<set>-<ordinal>`, or -1. */
export function ordinalOf(setName: string, name: string): number {
  if (!name.startsWith(`${setName}-`)) return -1;
  const s = name.slice(setName.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : -1;
}

export function isHealthy(p: SetPod): boolean {
  return p.phase === 'Running' && p.ready && !p.terminating;
}

function isFinished(p: SetPod): boolean {
  return p.phase === 'Failed' || p.phase === 'Succeeded';
}

/** The revision a newly created pod with this ordinal gets (partitioned ordinals stay at the current revision). */
export function revisionForOrdinal(input: PlanInput, ordinal: number): string {
  const start = input.start ?? 0;
  if (input.strategy === 'RollingUpdate' && ordinal - start < (input.partition ?? 0)) return input.currentRevision;
  return input.updateRevision;
}

/**
 * One pass, as Kubernetes does it:
 * 1. replicas (ordinals start..start+replicas-1) in increasing order: delete failed pods,
 *    create missing ones; OrderedReady stops at the first pod it created or that is not yet
 *    Running and Ready (or is terminating); Parallel does all of them at once;
 * 2. condemned pods (ordinals outside the range) from the highest ordinal: OrderedReady
 *    deletes one and waits for it to be gone; Parallel deletes them all;
 * 3. RollingUpdate, from the highest ordinal down to the partition: delete the first pod not
 *    at the update revision, and wait for each updated pod to be Running and Ready.
 */
export function planStatefulSet(input: PlanInput): Plan {
  const start = input.start ?? 0;
  const end = start + Math.max(0, input.replicas);
  const monotonic = input.policy !== 'Parallel';
  const steps: PlanStep[] = [];
  const byOrdinal = new Map<number, SetPod>();
  const condemned: SetPod[] = [];
  for (const p of input.pods) {
    if (p.ordinal >= start && p.ordinal < end) byOrdinal.set(p.ordinal, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => b.ordinal - a.ordinal);

  let waitingFor: string | undefined;
  for (let ord = start; ord < end; ord++) {
    const p = byOrdinal.get(ord);
    if (!p) {
      steps.push({ action: 'create', ordinal: ord, name: podName(input.setName, ord), revision: revisionForOrdinal(input, ord) });
      if (monotonic) return { steps, waitingFor: `${podName(input.setName, ord)} to be created` };
      continue;
    }
    if (isFinished(p) && !p.terminating) {
      steps.push({ action: 'delete', name: p.name, uid: p.uid, reason: 'failed' });
      if (monotonic) return { steps, waitingFor: `${p.name} to be recreated` };
      continue;
    }
    if (p.terminating) {
      if (monotonic) return { steps, waitingFor: `${p.name} to terminate` };
      continue;
    }
    if (!isHealthy(p)) {
      if (monotonic) return { steps, waitingFor: `${p.name} to be Running and Ready` };
      waitingFor ??= `${p.name} to be Running and Ready`;
    }
  }

  for (const p of condemned) {
    if (p.terminating) {
      if (monotonic) return { steps, waitingFor: `${p.name} to terminate` };
      continue;
    }
    steps.push({ action: 'delete', name: p.name, uid: p.uid, reason: 'condemned' });
    if (monotonic) return { steps, waitingFor: `${p.name} to terminate` };
  }
  if (steps.length) return { steps, ...(waitingFor ? { waitingFor } : {}) };

  if (input.strategy !== 'RollingUpdate') return waitingFor ? { steps, waitingFor } : { steps };
  const updateMin = start + Math.max(0, input.partition ?? 0);
  for (let ord = end - 1; ord >= updateMin; ord--) {
    const p = byOrdinal.get(ord);
    if (!p) continue;
    if (p.revision !== input.updateRevision && !p.terminating) {
      return { steps: [{ action: 'delete', name: p.name, uid: p.uid, reason: 'update' }], waitingFor: `${p.name} to be updated` };
    }
    if (!isHealthy(p)) return { steps, waitingFor: `${p.name} to be Running and Ready` };
  }
  return waitingFor ? { steps, waitingFor } : { steps };
}

export interface SetStatusCounts {
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
}

/**
 * Status counts over the set's pods: `replicas` counts every pod that exists, the others only
 * pods that are not terminating. `available` is decided by the caller (minReadySeconds).
 */
export function countStatus(pods: readonly (SetPod & { available?: boolean })[], currentRevision: string, updateRevision: string): SetStatusCounts {
  const c: SetStatusCounts = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const p of pods) {
    c.replicas++;
    if (p.terminating) continue;
    if (p.phase === 'Running' && p.ready) {
      c.readyReplicas++;
      if (p.available ?? true) c.availableReplicas++;
    }
    if (p.revision === currentRevision) c.currentReplicas++;
    if (p.revision === updateRevision) c.updatedReplicas++;
  }
  return c;
}
