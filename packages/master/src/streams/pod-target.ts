import { StatusError, type KObject } from '@skiff/api';
import type { PodContainer } from '@skiff/rpc';

type J = Record<string, unknown>;
interface ContainerStatus {
  name?: string;
  state?: { waiting?: { reason?: string }; running?: unknown; terminated?: unknown };
  lastState?: { terminated?: unknown };
}

const names = (v: unknown): string[] => (Array.isArray(v) ? v.map((c) => String((c as J).name ?? '')) : []);

function podName(pod: KObject): string {
  return pod.metadata.name ?? '';
}

/** The node the pod runs on, or BadRequest as kube-apiserver words it. */
export function nodeOf(pod: KObject): string {
  const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!node) throw StatusError.badRequest(`pod ${podName(pod)} does not have a host assigned`);
  return node;
}

/**
 * The container a request means: the named one (which must exist), or the only
 * one; otherwise BadRequest with the choices, as kube-apiserver answers.
 */
export function containerOf(pod: KObject, requested: string | undefined): string {
  const spec = (pod.spec ?? {}) as J;
  const app = names(spec.containers);
  const init = names(spec.initContainers);
  const ephemeral = names(spec.ephemeralContainers);
  if (!requested) {
    if (app.length === 1) return app[0]!;
    let msg = `a container name must be specified for pod ${podName(pod)}, choose one of: [${app.join(' ')}]`;
    if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw StatusError.badRequest(msg);
  }
  if (![...app, ...init, ...ephemeral].includes(requested)) {
    throw StatusError.badRequest(`container ${requested} is not valid for pod ${podName(pod)}`);
  }
  return requested;
}

function statusOf(pod: KObject, container: string): ContainerStatus | undefined {
  const st = (pod.status ?? {}) as J;
  const all = [st.containerStatuses, st.initContainerStatuses, st.ephemeralContainerStatuses]
    .flatMap((l) => (Array.isArray(l) ? (l as ContainerStatus[]) : []));
  return all.find((c) => c.name === container);
}

/** The kubelet's checks before serving logs: a waiting container without a previous instance has none. */
export function checkLogsAvailable(pod: KObject, container: string, previous: boolean): void {
  const cs = statusOf(pod, container);
  const name = podName(pod);
  if (!cs) {
    throw StatusError.badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  }
  if (previous) {
    if (!cs.lastState?.terminated) throw StatusError.badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
    return;
  }
  if (cs.state?.waiting && !cs.lastState?.terminated) {
    throw StatusError.badRequest(`container "${container}" in pod "${name}" is waiting to start: ${cs.state.waiting.reason ?? 'ContainerCreating'}`);
  }
}

/** exec/attach need a pod that has not finished. */
export function checkNotCompleted(pod: KObject, what: 'exec' | 'attach'): void {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    throw StatusError.badRequest(`cannot ${what === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
  }
}

export function targetOf(pod: KObject, container: string): PodContainer {
  return { namespace: pod.metadata.namespace ?? 'default', pod_name: podName(pod), pod_uid: pod.metadata.uid ?? '', container };
}
