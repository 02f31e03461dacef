import type {
  Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus,
} from 'kubernetes-types/core/v1';
import { computeQOSClass } from '../resources/qos';
import { NO_PROBE_RESULTS, type ProbeResultsView } from '../probes/probe-types';
import { podSandboxChanged, shouldContainerBeRestarted } from './compute-pod-actions';
import type { ObservedContainer, ObservedPod } from './observed-pod';

/** Why a container could not be started on the last sync (the kubelet's reasonCache). */
export interface StartFailure {
  /** CrashLoopBackOff, ErrImagePull, ImagePullBackOff, ErrImageNeverPull, CreateContainerConfigError, CreateContainerError, RunContainerError */
  reason: string;
  message: string;
}

export interface PodStatusInput {
  pod: Pod;
  observed: ObservedPod;
  probes?: ProbeResultsView;
  /** By container name. */
  startFailures?: ReadonlyMap<string, StartFailure>;
  /** The status last published for this pod; defaults to pod.status. */
  previous?: PodStatus;
  hostIPs?: string[];
  now: Date;
  /** The pod worker has finished the pod: nothing will be restarted. */
  podIsTerminal?: boolean;
}

const KUBELET_CONDITIONS = new Set(['PodScheduled', 'Ready', 'Initialized', 'ContainersReady', 'PodReadyToStartContainers']);

/** metav1.Time as it travels: RFC 3339 with seconds. */
export function rfc3339(t: string | Date): string {
  const d = typeof t === 'string' ? new Date(t) : t;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The pod's status as the kubelet generates it (generateAPIPodStatus plus the
 * prober's and status manager's touches): phase, conditions with preserved
 * transition times, container statuses, IPs, QoS class and start time.
 */
export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, observed } = input;
  const old: PodStatus = input.previous ?? pod.status ?? {};
  const apiStatus: PodStatus = pod.status ?? {};
  const spec = pod.spec;
  const hasInit = (spec?.initContainers?.length ?? 0) > 0;

  const s: PodStatus = {};
  const sandbox = observed.sandboxes[0];
  const ips = sandbox && sandbox.state === 'ready' ? sandbox.ips : [];
  if (ips.length > 0) {
    s.podIP = ips[0];
    s.podIPs = ips.map((ip) => ({ ip }));
  } else if (old.podIP) {
    // The sandbox is gone (pod finished): the address it had stays on record.
    s.podIP = old.podIP;
    if (old.podIPs) s.podIPs = old.podIPs;
  }
  s.qosClass = computeQOSClass(pod);
  s.initContainerStatuses = convertStatuses(input, spec?.initContainers ?? [], 'init', old.initContainerStatuses ?? [], hasInit);
  s.containerStatuses = convertStatuses(input, spec?.containers ?? [], 'app', old.containerStatuses ?? [], hasInit);
  if (!hasInit) delete s.initContainerStatuses;

  const all = [...(s.containerStatuses ?? []), ...(s.initContainerStatuses ?? [])];
  let phase = getPhase(pod, all, input.podIsTerminal ?? false);
  if (phase !== 'Failed' && phase !== 'Succeeded') {
    if (old.phase === 'Failed' || old.phase === 'Succeeded') phase = old.phase;
    else if (apiStatus.phase === 'Failed' || apiStatus.phase === 'Succeeded') phase = apiStatus.phase;
  }
  if (apiStatus.phase === 'Failed' || apiStatus.phase === 'Succeeded') phase = apiStatus.phase;
  s.phase = phase;
  if (phase === old.phase) {
    const reason = old.reason ?? apiStatus.reason;
    const message = old.message ?? apiStatus.message;
    if (reason) s.reason = reason;
    if (message) s.message = message;
  }

  applyProbeResults(pod, s, input.probes ?? NO_PROBE_RESULTS);

  const conditions: PodCondition[] = (apiStatus.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
  const allWithProbes = [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])];
  conditions.push({ type: 'PodReadyToStartContainers', status: podSandboxChanged(pod, observed.sandboxes).changed ? 'False' : 'True' });
  conditions.push(podInitializedCondition(pod, allWithProbes, phase));
  conditions.push(podReadyCondition(pod, conditions, allWithProbes, phase));
  conditions.push(containersReadyCondition(pod, allWithProbes, phase));
  conditions.push({ type: 'PodScheduled', status: 'True' });
  const now = rfc3339(input.now);
  for (const c of conditions) {
    if (!KUBELET_CONDITIONS.has(c.type)) continue;
    const prev = old.conditions?.find((o) => o.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  }
  s.conditions = conditions;

  const hostIPs = input.hostIPs ?? [];
  if (hostIPs.length > 0) {
    s.hostIP = hostIPs[0];
    s.hostIPs = hostIPs.map((ip) => ({ ip }));
    if (spec?.hostNetwork && !s.podIP) {
      s.podIP = hostIPs[0];
      s.podIPs = [{ ip: hostIPs[0]! }];
    }
  }
  s.startTime = old.startTime ?? now;
  return order(s);
}

/** Field order as the kubelet's JSON has it, for readable diffs. */
function order(s: PodStatus): PodStatus {
  const out: PodStatus = {};
  const keys: (keyof PodStatus)[] = ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'qosClass'];
  for (const k of keys) if (s[k] !== undefined) (out as Record<string, unknown>)[k] = s[k];
  return out;
}

function containerState(c: ObservedContainer, old: ContainerStatus | undefined): { state: ContainerState; restartCountBump?: boolean } {
  const cid = `docker://${c.id}`;
  switch (c.state) {
    case 'running':
      return { state: { running: { startedAt: rfc3339(c.startedAt ?? c.createdAt) } } };
    case 'created':
      return { state: { waiting: {} } };
    case 'exited': {
      const t: NonNullable<ContainerState['terminated']> = { exitCode: c.exitCode ?? 0, containerID: cid };
      if (c.reason) t.reason = c.reason;
      if (c.message) t.message = c.message;
      if (c.startedAt) t.startedAt = rfc3339(c.startedAt);
      if (c.finishedAt) t.finishedAt = rfc3339(c.finishedAt);
      return { state: { terminated: orderTerminated(t) } };
    }
    default:
      if (old?.state?.running) {
        return {
          state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated' } },
          restartCountBump: true,
        };
      }
      return { state: { waiting: {} } };
  }
}

function orderTerminated(t: NonNullable<ContainerState['terminated']>): NonNullable<ContainerState['terminated']> {
  const out: Record<string, unknown> = {};
  for (const k of ['containerID', 'exitCode', 'finishedAt', 'message', 'reason', 'signal', 'startedAt'] as const) if (t[k] !== undefined) out[k] = t[k];
  return out as unknown as NonNullable<ContainerState['terminated']>;
}

/** convertToAPIContainerStatuses from kubelet_pods.go. */
function convertStatuses(input: PodStatusInput, containers: Container[], kind: 'init' | 'app', oldStatuses: ContainerStatus[], hasInit: boolean): ContainerStatus[] {
  const { pod, observed } = input;
  const defaultWaiting: ContainerState = { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } };
  const oldByName = new Map(oldStatuses.map((o) => [o.name, o]));
  const statuses = new Map<string, ContainerStatus>();
  for (const c of containers) {
    let st: ContainerStatus = { name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: structuredClone(defaultWaiting) };
    const o = oldByName.get(c.name);
    if (o) {
      if (o.state?.terminated) st = structuredClone(o);
      else {
        st.restartCount = o.restartCount;
        if (o.lastState) st.lastState = structuredClone(o.lastState);
      }
    }
    statuses.set(c.name, st);
  }

  const mine = observed.containers.filter((x) => x.kind === kind);
  for (const c of containers) {
    if (mine.some((x) => x.name === c.name)) continue;
    const o = oldByName.get(c.name);
    if (!o || o.state?.terminated || !o.state?.running) continue;
    const st = statuses.get(c.name)!;
    const isDefault = st.state?.waiting?.reason === defaultWaiting.waiting?.reason;
    if (!isDefault || st.lastState?.terminated) continue;
    st.lastState = { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was deleted.  The container used to be Running' } };
    if (!pod.metadata?.deletionTimestamp) st.restartCount += 1;
  }

  const seen = new Map<string, number>();
  for (const cs of mine) {
    const cur = statuses.get(cs.name);
    if (!cur) continue;
    const n = seen.get(cs.name) ?? 0;
    if (n >= 2) continue;
    const o = oldByName.get(cs.name);
    const { state, restartCountBump } = containerState(cs, o);
    if (n === 0) {
      const st: ContainerStatus = {
        name: cs.name, image: cs.image, imageID: cs.imageRef, containerID: `docker://${cs.id}`,
        ready: false, restartCount: restartCountBump && o ? o.restartCount + 1 : cs.restartCount, state,
      };
      statuses.set(cs.name, st);
    } else {
      cur.lastState = state;
    }
    seen.set(cs.name, n + 1);
  }

  for (const c of containers) {
    if (kind === 'init') {
      const l = mine.find((x) => x.name === c.name);
      if (l && l.state === 'exited' && l.exitCode === 0) continue;
    }
    if (!shouldContainerBeRestarted(pod, c.name, kind, observed)) continue;
    const failure = input.startFailures?.get(c.name);
    if (!failure) continue;
    const st = statuses.get(c.name)!;
    if (st.state?.terminated) st.lastState = st.state;
    st.state = { waiting: { reason: failure.reason, message: failure.message } };
  }

  const out = containers.map((c) => orderStatus(statuses.get(c.name)!));
  if (kind === 'app') out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}

function orderStatus(s: ContainerStatus): ContainerStatus {
  const out: Record<string, unknown> = {};
  for (const k of ['containerID', 'image', 'imageID', 'lastState', 'name', 'ready', 'restartCount', 'started', 'state'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (!out.lastState) out.lastState = {};
  return out as unknown as ContainerStatus;
}

/** The prober manager's UpdatePodStatus: started and ready from probe results. */
function applyProbeResults(pod: Pod, s: PodStatus, probes: ProbeResultsView): void {
  const specOf = (name: string, list: Container[] | undefined) => list?.find((c) => c.name === name);
  const cid = (st: ContainerStatus) => (st.containerID ?? '').replace(/^docker:\/\//, '');
  const update = (st: ContainerStatus, c: Container | undefined) => {
    let started: boolean;
    if (!st.state?.running) started = false;
    else {
      const r = probes.get(cid(st), 'startup');
      started = r !== undefined ? r === 'Success' : !c?.startupProbe;
    }
    st.started = started;
    if (started) {
      let ready: boolean;
      if (!st.state?.running) ready = false;
      else {
        const r = probes.get(cid(st), 'readiness');
        ready = r === 'Success' || (r === undefined && !c?.readinessProbe);
      }
      st.ready = ready;
    }
  };
  for (const st of s.containerStatuses ?? []) update(st, specOf(st.name, pod.spec?.containers));
  for (const st of s.initContainerStatuses ?? []) {
    update(st, specOf(st.name, pod.spec?.initContainers));
    st.ready = !!st.state?.terminated && st.state.terminated.exitCode === 0;
  }
}

/** getPhase from kubelet_pods.go. */
export function getPhase(pod: Pod, info: ContainerStatus[], podIsTerminal: boolean): NonNullable<PodStatus['phase']> {
  const spec = pod.spec;
  const find = (name: string) => info.find((s) => s.name === name);
  let pendingInit = 0;
  let failedInit = 0;
  for (const c of spec?.initContainers ?? []) {
    const st = find(c.name);
    if (!st) { pendingInit++; continue; }
    if (st.state?.running) pendingInit++;
    else if (st.state?.terminated) { if (st.state.terminated.exitCode !== 0) failedInit++; }
    else if (st.state?.waiting) {
      if (st.lastState?.terminated) { if (st.lastState.terminated.exitCode !== 0) failedInit++; }
      else pendingInit++;
    } else pendingInit++;
  }
  let unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const c of spec?.containers ?? []) {
    const st = find(c.name);
    if (!st) { unknown++; continue; }
    if (st.state?.running) running++;
    else if (st.state?.terminated) { stopped++; if (st.state.terminated.exitCode === 0) succeeded++; }
    else if (st.state?.waiting) { if (st.lastState?.terminated) stopped++; else waiting++; }
    else unknown++;
  }
  const policy = spec?.restartPolicy ?? 'Always';
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  const anyRegularStarted = (spec?.containers ?? []).some((c) => {
    const st = find(c.name);
    return !!st && (!!st.state?.running || !!st.state?.terminated);
  });
  if ((pendingInit > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function podInitializedCondition(pod: Pod, statuses: ContainerStatus[], phase: string): PodCondition {
  const inits = pod.spec?.initContainers ?? [];
  if (inits.length === 0) return { type: 'Initialized', status: 'True' };
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const c of inits) {
    const st = statuses.find((s) => s.name === c.name);
    if (!st) unknown.push(c.name);
    else if (!(st.state?.terminated && st.state.terminated.exitCode === 0)) incomplete.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  const regularStarted = (pod.spec?.containers ?? []).some((c) => {
    const st = statuses.find((s) => s.name === c.name);
    return !!st && (!!st.state?.running || !!st.state?.terminated);
  });
  if (regularStarted) return { type: 'Initialized', status: 'True' };
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (incomplete.length) msgs.push(`containers with incomplete status: [${incomplete.join(' ')}]`);
  if (msgs.length) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: msgs.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

function containersReadyCondition(pod: Pod, statuses: ContainerStatus[], phase: string): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const st = statuses.find((s) => s.name === c.name);
    if (!st) unknown.push(c.name);
    else if (!st.ready) unready.push(c.name);
  }
  if (phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  if (phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: [${unknown.join(' ')}]`);
  if (unready.length) msgs.push(`containers with unready status: [${unready.join(' ')}]`);
  if (msgs.length) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: msgs.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function podReadyCondition(pod: Pod, conditions: PodCondition[], statuses: ContainerStatus[], phase: string): PodCondition {
  const cr = containersReadyCondition(pod, statuses, phase);
  if (cr.status !== 'True') {
    const out: PodCondition = { type: 'Ready', status: cr.status };
    if (cr.reason) out.reason = cr.reason;
    if (cr.message) out.message = cr.message;
    return out;
  }
  const msgs: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (!c) msgs.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') msgs.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  if (msgs.length) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: msgs.join(', ') };
  return { type: 'Ready', status: 'True' };
}
