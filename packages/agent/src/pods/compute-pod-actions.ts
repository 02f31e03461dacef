import type { Container, Pod } from 'kubernetes-types/core/v1';
import { backoffRemaining, formatGoDuration, DEFAULT_BACKOFF, type BackoffConfig, type BackoffState } from './backoff';
import { containerHash } from './container-hash';
import type { ObservedContainer, ObservedPod, ObservedSandbox } from './observed-pod';

/**
 * What a pod sync must do, as plain data: the kubelet's computePodActions
 * (kuberuntime_manager.go) plus the restart back-off decision, so that the
 * whole decision is pure and tested as data.
 */
export interface PodActions {
  /** Stop every container and the sandbox (before re-creating it, or because the pod is done). */
  killPod: boolean;
  createSandbox: boolean;
  /** The current sandbox (the one to reuse, or the one being replaced). */
  sandboxId?: string;
  /** The attempt number for a new sandbox. */
  attempt: number;
  /** Remove all init container instances before re-running them in a new sandbox. */
  purgeInitContainers: boolean;
  nextInitContainer?: ContainerToStart;
  containersToStart: ContainerToStart[];
  containersToKill: ContainerToKill[];
  /** Containers that should run but are waiting out their restart back-off. */
  backOff: ContainerInBackOff[];
  /** Dead instances no longer needed (older than the one kept for `logs --previous`). */
  containersToRemove: string[];
  /** Sandboxes other than the current one: stop and remove. */
  staleSandboxes: string[];
  /** Set when nothing will run any more: the pod has reached a terminal state on this node. */
  podDone: boolean;
  /** When the earliest back-off expires, so that the worker syncs again then. */
  requeueAfterMs?: number;
}

export interface ContainerToStart {
  name: string;
  kind: 'init' | 'app';
  restartCount: number;
  hash: string;
  /** The back-off key and the event (finish) time to record when this start goes ahead. */
  backoffKey: string;
  backoffEventMs?: number;
}

export type KillReason = 'LivenessProbe' | 'StartupProbe' | 'SpecChanged' | 'Unknown';

export interface ContainerToKill {
  id: string;
  name: string;
  kind: 'init' | 'app';
  message: string;
  reason: KillReason;
}

export interface ContainerInBackOff {
  name: string;
  kind: 'init' | 'app';
  remainingMs: number;
  /** `back-off 10s restarting failed container=web pod=web_default(uid)`: the CrashLoopBackOff message. */
  message: string;
}

export type ProbeKill = 'liveness' | 'startup';

export interface PodActionsInput {
  pod: Pod;
  observed: ObservedPod;
  nowMs: number;
  backoff: BackoffState;
  backoffConfig?: BackoffConfig;
  /** Container ids whose liveness or startup probe has failed past its threshold. */
  probeFailures?: ReadonlyMap<string, ProbeKill>;
}

function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

function shouldRestartOnFailure(pod: Pod): boolean {
  return restartPolicy(pod) !== 'Never';
}

function latest(observed: ObservedPod, name: string, kind: 'init' | 'app'): ObservedContainer | undefined {
  return observed.containers.find((c) => c.name === name && c.kind === kind);
}

/** `name_namespace(uid)`, the kubelet's format.Pod. */
export function formatPod(pod: Pod): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? 'default'}(${pod.metadata?.uid ?? ''})`;
}

export function backoffKey(pod: Pod, c: Container): string {
  return `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}_${pod.metadata?.uid ?? ''}_${c.name}_${containerHash(c)}`;
}

/** PodSandboxChanged from the kubelet: whether a (new) sandbox is needed, its attempt, the current id. */
export function podSandboxChanged(pod: Pod, sandboxes: ObservedSandbox[]): { changed: boolean; attempt: number; sandboxId?: string } {
  const s = sandboxes[0];
  if (!s) return { changed: true, attempt: 0 };
  const ready = sandboxes.filter((x) => x.state === 'ready').length;
  if (ready > 1 || s.state !== 'ready') return { changed: true, attempt: s.attempt + 1, sandboxId: s.id };
  if (!pod.spec?.hostNetwork && s.ips.length === 0) return { changed: true, attempt: s.attempt + 1, sandboxId: s.id };
  return { changed: false, attempt: s.attempt, sandboxId: s.id };
}

function isInitContainerFailed(c: ObservedContainer): boolean {
  if (c.reason === 'OOMKilled') return true;
  if (c.state === 'exited' && c.exitCode !== 0) return true;
  return c.state === 'unknown';
}

/** findNextInitContainerToRun: the last status seen, the next init container, and whether init is done. */
export function findNextInitContainerToRun(pod: Pod, observed: ObservedPod): { last?: ObservedContainer; next?: Container; done: boolean } {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { done: true };
  for (const c of pod.spec?.containers ?? []) {
    if (latest(observed, c.name, 'app')?.state === 'running') return { done: true };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i]!;
    const s = latest(observed, c.name, 'init');
    if (s && isInitContainerFailed(s)) return { last: s, next: c, done: false };
  }
  for (let i = inits.length - 1; i >= 0; i--) {
    const c = inits[i]!;
    const s = latest(observed, c.name, 'init');
    if (!s) continue;
    if (s.state === 'running') return { done: false };
    if (s.state === 'exited') {
      if (i === inits.length - 1) return { done: true };
      return { next: inits[i + 1]!, done: false };
    }
  }
  return { next: inits[0]!, done: false };
}

/** ShouldContainerBeRestarted from the kubelet. */
export function shouldContainerBeRestarted(pod: Pod, name: string, kind: 'init' | 'app', observed: ObservedPod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  const s = latest(observed, name, kind);
  if (!s) return true;
  if (s.state === 'running') return false;
  if (s.state === 'unknown' || s.state === 'created') return true;
  const policy = restartPolicy(pod);
  if (policy === 'Never') return false;
  if (policy === 'OnFailure' && s.exitCode === 0) return false;
  return true;
}

function containerSucceeded(observed: ObservedPod, name: string): boolean {
  const s = latest(observed, name, 'app');
  return s !== undefined && s.state === 'exited' && s.exitCode === 0;
}

function emptyActions(attempt: number, sandboxId?: string): PodActions {
  return {
    killPod: false, createSandbox: false, attempt, ...(sandboxId ? { sandboxId } : {}), purgeInitContainers: false,
    containersToStart: [], containersToKill: [], backOff: [], containersToRemove: [], staleSandboxes: [], podDone: false,
  };
}

export function computePodActions(input: PodActionsInput): PodActions {
  const plan = computeKubeletActions(input);
  applyBackoff(plan, input);
  plan.containersToRemove = garbage(input, plan);
  plan.staleSandboxes = input.observed.sandboxes.slice(1).map((s) => s.id);
  if (plan.createSandbox && plan.sandboxId && !plan.staleSandboxes.includes(plan.sandboxId)) {
    // The current sandbox is being replaced: it goes too, once killed.
    plan.staleSandboxes.push(plan.sandboxId);
  }
  return plan;
}

function toStart(input: PodActionsInput, c: Container, kind: 'init' | 'app'): ContainerToStart {
  const last = latest(input.observed, c.name, kind);
  return {
    name: c.name, kind, restartCount: last ? last.restartCount + 1 : 0, hash: containerHash(c),
    backoffKey: backoffKey(input.pod, c),
  };
}

function computeKubeletActions(input: PodActionsInput): PodActions {
  const { pod, observed } = input;
  const spec = pod.spec;
  const containers = spec?.containers ?? [];
  const inits = spec?.initContainers ?? [];
  const sb = podSandboxChanged(pod, observed.sandboxes);
  const plan = emptyActions(sb.attempt, sb.sandboxId);

  // A pod being deleted runs nothing more: stop what runs.
  if (pod.metadata?.deletionTimestamp) {
    plan.killPod = true;
    plan.podDone = true;
    return plan;
  }

  if (sb.changed) {
    plan.killPod = true;
    plan.createSandbox = true;
    if (!shouldRestartOnFailure(pod) && sb.attempt !== 0 && observed.containers.length !== 0) {
      // restartPolicy Never and containers already ran: the pod is done, not re-created.
      plan.createSandbox = false;
      plan.podDone = true;
      return plan;
    }
    const starts = containers.filter((c) => !(restartPolicy(pod) === 'OnFailure' && containerSucceeded(observed, c.name)));
    if (starts.length === 0 && findNextInitContainerToRun(pod, observed).done) {
      plan.createSandbox = false;
      plan.podDone = true;
      return plan;
    }
    plan.purgeInitContainers = inits.length > 0;
    if (inits.length > 0) {
      plan.nextInitContainer = { ...toStart(input, inits[0]!, 'init') };
      return plan;
    }
    plan.containersToStart = starts.map((c) => toStart(input, c, 'app'));
    return plan;
  }

  const init = findNextInitContainerToRun(pod, observed);
  if (!init.done) {
    if (init.next) {
      const failed = init.last !== undefined && isInitContainerFailed(init.last);
      if (failed && !shouldRestartOnFailure(pod)) {
        plan.killPod = true;
        plan.podDone = true;
      } else {
        if (init.last && init.last.state === 'unknown') {
          plan.containersToKill.push({
            id: init.last.id, name: init.next.name, kind: 'init', reason: 'Unknown',
            message: 'Init container is in "unknown" state, try killing it before restart',
          });
        }
        plan.nextInitContainer = toStart(input, init.next, 'init');
      }
    }
    return plan;
  }

  let keepCount = 0;
  for (const c of containers) {
    const s = latest(observed, c.name, 'app');
    if (!s || s.state !== 'running') {
      if (shouldContainerBeRestarted(pod, c.name, 'app', observed)) {
        plan.containersToStart.push(toStart(input, c, 'app'));
        if (s && s.state === 'unknown') {
          plan.containersToKill.push({
            id: s.id, name: c.name, kind: 'app', reason: 'Unknown',
            message: 'Container is in "unknown" state, try killing it before restart',
          });
        }
      }
      continue;
    }
    let message: string;
    let reason: KillReason;
    let restart = shouldRestartOnFailure(pod);
    const failure = input.probeFailures?.get(s.id);
    if (s.hash !== undefined && s.hash !== containerHash(c)) {
      message = `Container ${c.name} definition changed`;
      reason = 'SpecChanged';
      restart = true;
    } else if (failure === 'liveness') {
      message = `Container ${c.name} failed liveness probe`;
      reason = 'LivenessProbe';
    } else if (failure === 'startup') {
      message = `Container ${c.name} failed startup probe`;
      reason = 'StartupProbe';
    } else {
      keepCount++;
      continue;
    }
    if (restart) {
      message = `${message}, will be restarted`;
      plan.containersToStart.push(toStart(input, c, 'app'));
    }
    plan.containersToKill.push({ id: s.id, name: c.name, kind: 'app', message, reason });
  }
  if (keepCount === 0 && plan.containersToStart.length === 0) {
    plan.killPod = true;
    plan.podDone = true;
  }
  return plan;
}

/**
 * doBackOff from the kubelet: a container whose latest dead instance finished
 * less than the current back-off ago waits (CrashLoopBackOff) instead of starting.
 */
function applyBackoff(plan: PodActions, input: PodActionsInput): void {
  const cfg = input.backoffConfig ?? DEFAULT_BACKOFF;
  const check = (s: ContainerToStart): boolean => {
    const dead = input.observed.containers.find((c) => c.name === s.name && c.kind === s.kind && c.state === 'exited');
    if (!dead) return true;
    const eventMs = dead.finishedAt ? Date.parse(dead.finishedAt) : input.nowMs;
    const remaining = backoffRemaining(input.backoff, s.backoffKey, eventMs, input.nowMs, cfg);
    if (remaining <= 0) {
      s.backoffEventMs = eventMs;
      return true;
    }
    const current = input.backoff.get(s.backoffKey)?.backoffMs ?? cfg.initialMs;
    plan.backOff.push({
      name: s.name, kind: s.kind, remainingMs: remaining,
      message: `back-off ${formatGoDuration(current)} restarting failed container=${s.name} pod=${formatPod(input.pod)}`,
    });
    plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, remaining);
    return false;
  };
  // Init containers purged for a new sandbox start over without back-off.
  if (plan.nextInitContainer && !plan.purgeInitContainers && !check(plan.nextInitContainer)) delete plan.nextInitContainer;
  plan.containersToStart = plan.containersToStart.filter(check);
}

/**
 * Dead instances to remove: per container name keep the newest instance and,
 * when that one is running or about to be replaced, the newest dead one too
 * (the "previous" container for logs and lastState).
 */
function garbage(input: PodActionsInput, plan: PodActions): string[] {
  const out: string[] = [];
  const seen = new Map<string, number>();
  for (const c of input.observed.containers) {
    const key = `${c.kind}/${c.name}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (n >= 2 && c.state !== 'running') out.push(c.id);
  }
  if (plan.purgeInitContainers) {
    for (const c of input.observed.containers) if (c.kind === 'init' && c.state !== 'running' && !out.includes(c.id)) out.push(c.id);
  }
  return out;
}
